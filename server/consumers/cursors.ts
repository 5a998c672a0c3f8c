import type { CommittedEvent } from '../events/outbox.js';
import { eventsBetween } from '../realtime/outbox-queries.js';
import { one, rows, run, pgArray, type Em } from '../db/sql.js';

/** SQL over `consumer_cursors`: one row per (consumer, tenant), the last seq the consumer has passed. */

export interface CursorRow {
  last_seq: string;
  attempts: number;
}

/** Gives every tenant without a cursor one: at 0, or at the tenant's current seq for `startAt: 'now'`. */
export async function ensureCursors(em: Em, consumer: string, startAtNow: boolean): Promise<number> {
  return run(
    em,
    `insert into consumer_cursors (consumer, tenant_id, last_seq)
      select ?, t.id, ${startAtNow ? 't.event_seq' : '0'} from tenants t
      where not exists (select 1 from consumer_cursors c where c.consumer = ? and c.tenant_id = t.id)
      on conflict do nothing`,
    [consumer, consumer],
  );
}

/** Tenants with events past this consumer's cursor whose retry time (after a failure) has come. */
export async function dueTenants(em: Em, consumer: string, limit: number): Promise<string[]> {
  const r = await rows<{ tenant_id: string }>(
    em,
    `select c.tenant_id from consumer_cursors c join tenants t on t.id = c.tenant_id
      where c.consumer = ? and t.event_seq > c.last_seq and (c.retry_at is null or c.retry_at <= now())
      order by c.updated_at limit ?`,
    [consumer, limit],
  );
  return r.map((x) => x.tenant_id);
}

/**
 * Locks the pair's cursor row for this transaction, or returns undefined when another worker (on any
 * node) holds it: `skip locked` makes the pair exclusive without anyone waiting. The row lock dies
 * with the transaction, so a killed node frees its pairs as soon as PostgreSQL sees the connection go.
 */
export async function lockCursor(em: Em, consumer: string, tenantId: string): Promise<CursorRow | undefined> {
  return one<CursorRow>(
    em,
    `select last_seq, attempts from consumer_cursors where consumer = ? and tenant_id = ?
      and (retry_at is null or retry_at <= now()) for update skip locked`,
    [consumer, tenantId],
  );
}

/** The tenant's outbox rows after `after`, facts and notices alike (notices only move the cursor). */
export const nextEvents = (em: Em, tenantId: string, after: number, limit: number): Promise<CommittedEvent[]> =>
  eventsBetween(em, tenantId, after, null, limit);

/** Moves the cursor past a delivered batch; last_error stays as history (health shows it), attempts reset. */
export async function advance(em: Em, consumer: string, tenantId: string, lastSeq: number): Promise<void> {
  await run(
    em,
    `update consumer_cursors set last_seq = ?, updated_at = now(), attempts = 0, retry_at = null
      where consumer = ? and tenant_id = ?`,
    [lastSeq, consumer, tenantId],
  );
}

/** Records a failed batch: the cursor stays, the pair is retried after `delayMs`. */
export async function recordFailure(em: Em, consumer: string, tenantId: string, error: string, delayMs: number): Promise<void> {
  await run(
    em,
    `update consumer_cursors set attempts = attempts + 1, last_error = ?, last_error_at = now(),
      retry_at = now() + (? * interval '1 millisecond'), updated_at = now() where consumer = ? and tenant_id = ?`,
    [error.slice(0, 2000), delayMs, consumer, tenantId],
  );
}

export interface ConsumerHealth {
  tenants: number;
  /** Outbox seqs (facts and notices) past the cursor: the largest over tenants, and their sum. */
  maxLag: number;
  totalLag: number;
  failingTenants: number;
  lastError: string | null;
  lastErrorAt: string | null;
}

export async function consumerHealth(em: Em, consumers: readonly string[]): Promise<Map<string, ConsumerHealth>> {
  const out = new Map<string, ConsumerHealth>();
  if (!consumers.length) return out;
  const r = await rows(
    em,
    `select c.consumer, count(*)::int as tenants,
        coalesce(max(greatest(t.event_seq - c.last_seq, 0)), 0)::bigint as max_lag,
        coalesce(sum(greatest(t.event_seq - c.last_seq, 0)), 0)::bigint as total_lag,
        count(*) filter (where c.attempts > 0)::int as failing,
        (array_agg(c.last_error order by c.last_error_at desc nulls last))[1] as last_error,
        max(c.last_error_at) as last_error_at
      from consumer_cursors c join tenants t on t.id = c.tenant_id
      where c.consumer = any(?::text[]) group by c.consumer`,
    [pgArray(consumers)],
  );
  for (const x of r) {
    out.set(x.consumer, {
      tenants: x.tenants,
      maxLag: Number(x.max_lag),
      totalLag: Number(x.total_lag),
      failingTenants: x.failing,
      lastError: x.last_error ?? null,
      lastErrorAt: x.last_error_at ? new Date(x.last_error_at).toISOString() : null,
    });
  }
  return out;
}
