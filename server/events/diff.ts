/** What an update changed: the field names, and each one's value before the change. */
export interface Change {
  changed: string[];
  before: Record<string, unknown>;
}

/** Bookkeeping fields every update touches; listing them as "changed" would make every diff noisy. */
const IGNORED = new Set(['updatedAt', 'version']);

const same = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

/** Compares two REST records of one entity field by field (custom fields as `customData.<name>`). */
export function diffRecords(before: Record<string, unknown>, after: Record<string, unknown>): Change {
  const changed: string[] = [];
  const prev: Record<string, unknown> = {};
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (IGNORED.has(k)) continue;
    if (k === 'customData') {
      const b = (before.customData ?? {}) as Record<string, unknown>;
      const a = (after.customData ?? {}) as Record<string, unknown>;
      for (const f of new Set([...Object.keys(b), ...Object.keys(a)])) {
        if (!same(b[f], a[f])) {
          changed.push(`customData.${f}`);
          prev[`customData.${f}`] = b[f] ?? null;
        }
      }
    } else if (!same(before[k], after[k])) {
      changed.push(k);
      prev[k] = before[k] ?? null;
    }
  }
  return { changed, before: prev };
}
