import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../log.js';
import type { Em } from '../db/sql.js';
import { backoffMs, type Consumer } from './consumer.js';
import { advance, dueTenants, ensureCursors, lockCursor, nextEvents, recordFailure } from './cursors.js';

export interface RunnerOptions {
  /** How often the cursors are polled regardless of wake-ups (pub/sub may lose them). */
  pollMs: number;
  /** Tenants this node works on at once for one consumer. */
  concurrency: number;
}

type Outcome = 'more' | 'idle' | 'locked' | 'failed';

/** Runs one consumer on this node: wakes on commits and polls, and works each due tenant's cursor forward. */
export class ConsumerRunner {
  private timer: NodeJS.Timeout | null = null;
  private woken = new Set<string>();
  private inFlight = new Map<string, Promise<void>>();
  private pumping: Promise<void> | null = null;
  private again = false;
  private closed = false;
  private lastEnsure = 0;
  /** Tenants known to have a cursor row: a wake-up for any other tenant makes the next pump create cursors first. */
  private known = new Set<string>();
  private readonly types: Set<string> | null;
  delivered = 0;
  failures = 0;

  constructor(
    readonly consumer: Consumer,
    private orm: MikroORM,
    private log: Logger,
    private opts: RunnerOptions,
  ) {
    this.types = consumer.types === 'all' ? null : new Set(consumer.types);
  }

  start(): void {
    this.timer = setInterval(() => this.wake(), this.opts.pollMs);
    this.timer.unref();
    this.wake();
  }

  /** Something committed for `tenantId` (or: look at every tenant). Never blocks the caller. */
  wake(tenantId?: string): void {
    if (this.closed) return;
    if (tenantId) this.woken.add(tenantId);
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = null;
      if (this.again && !this.closed) {
        this.again = false;
        this.wake();
      }
    });
  }

  handles(type: string, kind: string): boolean {
    return kind === 'fact' && (!this.types || this.types.has(type));
  }

  private em(): Em {
    return this.orm.em.fork() as Em;
  }

  private async pump(): Promise<void> {
    try {
      const now = Date.now();
      // New tenants get their cursor here; once per poll period is plenty.
      if (now - this.lastEnsure >= this.opts.pollMs || [...this.woken].some((t) => !this.known.has(t))) {
        this.lastEnsure = now;
        await ensureCursors(this.em(), this.consumer.name, this.consumer.startAt === 'now');
      }
      const listed = await dueTenants(this.em(), this.consumer.name, 500);
      for (const t of listed) this.known.add(t);
      const due = new Set([...this.woken, ...listed]);
      this.woken.clear();
      for (const t of due) {
        if (this.closed) break;
        if (this.inFlight.has(t)) continue;
        while (this.inFlight.size >= this.opts.concurrency) await Promise.race(this.inFlight.values());
        const p = this.drain(t).finally(() => this.inFlight.delete(t));
        this.inFlight.set(t, p);
      }
    } catch (err) {
      if (!this.closed) this.log.warn({ err, consumer: this.consumer.name }, 'consumer poll failed');
    }
  }

  /** Works one tenant until it is caught up, fails, or another worker holds it (bounded, so others get a turn). */
  private async drain(tenantId: string): Promise<void> {
    for (let i = 0; i < 50 && !this.closed; i++) {
      const r = await this.batch(tenantId);
      if (r !== 'more') return;
    }
    this.again = true;
  }

  /**
   * One batch in one transaction: lock the pair's cursor row (skip if another worker has it), read the
   * next events, hand the facts to the handler inside a savepoint, and advance the cursor. A failing
   * handler rolls back to the savepoint, and the failure and its retry time are recorded in the same
   * transaction that still holds the lock.
   */
  async batch(tenantId: string): Promise<Outcome> {
    const c = this.consumer;
    const size = c.batchSize ?? 200;
    try {
      return await this.em().transactional(async (em) => {
        const cur = await lockCursor(em as Em, c.name, tenantId);
        if (!cur) return 'locked';
        this.known.add(tenantId);
        const events = await nextEvents(em as Em, tenantId, Number(cur.last_seq), size);
        if (!events.length) return 'idle';
        const facts = events.filter((e) => this.handles(e.type, e.kind));
        if (facts.length) {
          try {
            await em.transactional((inner) => c.handle(facts, { tenantId, em: inner as Em, log: this.log, attempt: cur.attempts + 1 }));
          } catch (err) {
            this.failures++;
            const delay = backoffMs(c, cur.attempts + 1);
            this.log.warn({ err, consumer: c.name, tenantId, attempt: cur.attempts + 1, retryInMs: delay }, 'consumer batch failed; will retry');
            await recordFailure(em as Em, c.name, tenantId, err instanceof Error ? err.message : String(err), delay);
            return 'failed';
          }
          this.delivered += facts.length;
        }
        await advance(em as Em, c.name, tenantId, events[events.length - 1].seq);
        return events.length === size ? 'more' : 'idle';
      });
    } catch (err) {
      if (!this.closed) this.log.warn({ err, consumer: c.name, tenantId }, 'consumer batch aborted');
      return 'failed';
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.pumping?.catch(() => {});
    await Promise.allSettled(this.inFlight.values());
  }
}
