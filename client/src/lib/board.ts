import type { Board, DealRecord, MoneyTotal, StageRecord } from '../../../shared/schemas';

/** One board column: a stage and the open deals in it, newest activity first. */
export interface Column {
  stage: StageRecord;
  deals: DealRecord[];
}

/** Money strings are exact decimals; sums are done in integer cents so totals never drift. */
export function toCents(amount: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(amount.trim());
  if (!m) return 0n;
  const cents = BigInt(m[2]!) * 100n + BigInt((m[3] ?? '').padEnd(2, '0') || '0');
  return m[1] ? -cents : cents;
}

export function fromCents(c: bigint): string {
  const neg = c < 0n;
  const a = neg ? -c : c;
  const s = `${a / 100n}.${String(a % 100n).padStart(2, '0')}`;
  return neg ? '-' + s : s;
}

/** amount × probability / 100, rounded to cents half away from zero (as PostgreSQL's round() does). */
export function weightedCents(cents: bigint, probability: number): bigint {
  const n = cents * BigInt(probability);
  const q = n / 100n;
  const r = n % 100n;
  const absR = r < 0n ? -r : r;
  if (absR * 2n >= 100n) return n < 0n ? q - 1n : q + 1n;
  return q;
}

/** A column's or the board's sums: `count` is every deal, `totals` one entry per currency (never added across currencies). */
export interface Totals {
  count: number;
  totals: MoneyTotal[];
}

interface Acc {
  count: number;
  amount: bigint;
  weighted: bigint;
}

function sorted(acc: Map<string, Acc>): MoneyTotal[] {
  return [...acc.keys()]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((currency) => {
      const t = acc.get(currency)!;
      return { currency, count: t.count, amount: fromCents(t.amount), weighted: fromCents(t.weighted) };
    });
}

function add(acc: Map<string, Acc>, currency: string, count: number, amount: bigint, weighted: bigint) {
  const t = acc.get(currency) ?? { count: 0, amount: 0n, weighted: 0n };
  acc.set(currency, { count: t.count + count, amount: t.amount + amount, weighted: t.weighted + weighted });
}

/** Recomputed from the cards, so optimistic and live moves keep the sums right; same shape and rounding as the server's. */
export function columnTotals(col: Column): Totals {
  const acc = new Map<string, Acc>();
  for (const d of col.deals) {
    const c = toCents(d.amount);
    add(acc, d.currency, 1, c, weightedCents(c, col.stage.winProbability));
  }
  return { count: col.deals.length, totals: sorted(acc) };
}

export function boardTotals(cols: Column[]): Totals {
  const acc = new Map<string, Acc>();
  let count = 0;
  for (const col of cols) {
    const t = columnTotals(col);
    count += t.count;
    for (const m of t.totals) add(acc, m.currency, m.count, toCents(m.amount), toCents(m.weighted));
  }
  return { count, totals: sorted(acc) };
}

export function columnsFrom(board: Board): Column[] {
  return [...board.stages]
    .sort((a, b) => a.orderIndex - b.orderIndex)
    .map(({ deals, count: _c, totals: _t, ...stage }) => ({ stage, deals: [...deals] }));
}

export function findDeal(cols: Column[], id: string): DealRecord | undefined {
  for (const c of cols) {
    const d = c.deals.find((x) => x.id === id);
    if (d) return d;
  }
  return undefined;
}

export function removeDeal(cols: Column[], id: string): Column[] {
  return cols.map((c) => (c.deals.some((d) => d.id === id) ? { ...c, deals: c.deals.filter((d) => d.id !== id) } : c));
}

/**
 * Puts a deal where its record says it belongs (or takes it off the board when it is closed, in another
 * pipeline, or filtered out). A record older than the one shown is ignored unless `force`d, so a late
 * event can never undo a newer state.
 */
export function placeDeal(cols: Column[], deal: DealRecord, accept: (d: DealRecord) => boolean = () => true, force = false): Column[] {
  const cur = findDeal(cols, deal.id);
  if (cur && !force && cur.version > deal.version) return cols;
  const stripped = removeDeal(cols, deal.id);
  if (deal.status !== 'OPEN' || !accept(deal)) return stripped;
  const i = stripped.findIndex((c) => c.stage.id === deal.stageId);
  if (i < 0) return stripped;
  return stripped.map((c, j) => (j === i ? { ...c, deals: [deal, ...c.deals] } : c));
}

/** The optimistic local move: same record, new stage (the server answers with the authoritative one). */
export function moveLocally(cols: Column[], dealId: string, stageId: string): Column[] {
  const d = findDeal(cols, dealId);
  if (!d || !cols.some((c) => c.stage.id === stageId)) return cols;
  return placeDeal(cols, { ...d, stageId }, () => true, true);
}

/** The neighbouring stage for keyboard moves (Alt+←/→). */
export function adjacentStage(cols: Column[], dealId: string, delta: -1 | 1): string | null {
  const i = cols.findIndex((c) => c.deals.some((d) => d.id === dealId));
  const j = i + delta;
  return i >= 0 && j >= 0 && j < cols.length ? cols[j]!.stage.id : null;
}
