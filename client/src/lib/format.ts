/**
 * Money is an exact decimal string; it is shown rounded to whole units with its currency. The string goes to
 * Intl as it is (Intl formats decimal strings exactly), since Number() would blur amounts beyond 15 digits.
 */
export function money(amount: string | number, currency = 'USD'): string {
  const s = String(amount).trim();
  const v: number | `${number}` = typeof amount === 'number' ? amount : /^-?\d+(\.\d+)?$/.test(s) ? (s as `${number}`) : Number.NaN;
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency, maximumFractionDigits: 0 }).format(v);
  } catch {
    return `${currency} ${s}`;
  }
}

export function date(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = iso.length === 10 ? new Date(iso + 'T00:00:00') : new Date(iso);
  return d.toLocaleDateString('en-US', { month: 'short', day: 'numeric', year: 'numeric' });
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString('en-US', { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
}

export function initials(name: string): string {
  return (
    name
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((p) => p[0]!.toUpperCase())
      .join('') || '?'
  );
}

/** A stable colour per user (shared with the server, which pins peers' awareness colours to it). */
export { colorFor } from '../../../shared/user-color';

/** A close date before today on an open deal. */
export function isOverdueDate(day: string | null, today = new Date()): boolean {
  if (!day) return false;
  const t = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, '0')}-${String(today.getDate()).padStart(2, '0')}`;
  return day < t;
}

/** `<input type="datetime-local">` value for an ISO time, and back. */
export function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}
export function fromLocalInput(v: string): string | null {
  return v ? new Date(v).toISOString() : null;
}
