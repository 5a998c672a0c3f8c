import type { FactType } from '../../shared/events.js';
import type { CommittedEvent } from '../events/outbox.js';
import type { Em } from '../db/sql.js';
import type { Logger } from '../log.js';

/** What a handler gets besides its events. */
export interface ConsumerContext {
  tenantId: string;
  /**
   * The transaction that holds this (consumer, tenant) pair's cursor lock and advances the cursor when
   * the handler returns. Database writes made through it commit together with the cursor (and roll
   * back with it when the handler throws), so a database-only consumer is effectively exactly-once.
   * Use this one, not a fresh entity manager: on the embedded PGlite there is a single connection,
   * and a second one would wait for this very transaction to end.
   */
  em: Em;
  log: Logger;
  /** Which delivery of this batch this is (1 on the first try; more after failures). */
  attempt: number;
}

/**
 * A durable consumer of the outbox's domain facts (never notices). For each tenant it keeps a cursor
 * in `consumer_cursors`; across every node exactly one worker at a time runs a (consumer, tenant) pair,
 * and hands the handler the tenant's next facts of the declared types in seq order.
 *
 * Delivery is AT-LEAST-ONCE: the cursor moves past a batch only after the handler resolved. A node
 * killed mid-batch, or a handler that throws, means the same events are delivered again (possibly on
 * another node). Handlers MUST be idempotent: key what they write by (tenantId, seq) or by the
 * entity and its version, and treat "already there" as success.
 */
export interface Consumer {
  /** Stable name: the cursor's key. Renaming a consumer starts it from scratch. */
  name: string;
  /** The fact types it handles. Other facts and all notices pass its cursor without a call. */
  types: readonly FactType[] | 'all';
  handle(events: CommittedEvent[], ctx: ConsumerContext): Promise<void>;
  /** Where a tenant's cursor starts when the consumer first sees it: 0 (the whole kept outbox, default) or the tenant's current seq. */
  startAt?: 'beginning' | 'now';
  /** Most events per handler call (default 200). */
  batchSize?: number;
  /** First retry delay after a failure (default 1 s); doubles per attempt up to maxRetryMs (default 5 min). */
  retryBaseMs?: number;
  maxRetryMs?: number;
  /** false registers it without running it: it then also does not hold back pruning. */
  enabled?: boolean;
}

/** The delay before attempt `attempts + 1`: exponential, capped. */
export function backoffMs(c: Consumer, attempts: number): number {
  const base = c.retryBaseMs ?? 1000;
  const max = c.maxRetryMs ?? 5 * 60_000;
  return Math.min(max, base * 2 ** Math.max(0, attempts - 1));
}
