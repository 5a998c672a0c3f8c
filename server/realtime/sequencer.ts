import type { CommittedEvent } from '../events/outbox.js';
import type { EventFeed } from '../events/feed.js';
import type { Logger } from '../log.js';
import type { Em } from '../db/sql.js';
import { allTenantSeqs, eventsBetween, tenantSeq } from './outbox-queries.js';

/**
 * Turns whatever reaches this node (its own commits, bus messages in any order, outbox reads) into the
 * feed's promise: each tenant's events exactly once, in seq order, with no gaps. Because seq is
 * gap-free and visible in commit order, seeing seq N proves 1..N are committed, so a gap is filled by
 * reading the outbox, never by waiting.
 */
export class Sequencer {
  /** The last seq this node has put on the feed, per tenant. */
  private last = new Map<string, number>();
  private chains = new Map<string, Promise<void>>();
  private baseline: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private read: () => Em,
    private feed: EventFeed,
    private log: Logger,
  ) {}

  /** Everything committed before this point is history, not news: start each tenant at its current seq. */
  start(): Promise<void> {
    this.baseline ??= allTenantSeqs(this.read()).then(
      (m) => {
        for (const [t, s] of m) if (!this.last.has(t)) this.last.set(t, s);
      },
      // The database was away: the next caller tries again rather than inheriting the failure forever.
      (err) => {
        this.baseline = null;
        throw err;
      },
    );
    return this.baseline;
  }

  stop() {
    this.stopped = true;
  }

  position(tenantId: string): number | undefined {
    return this.last.get(tenantId);
  }

  /** The tenant's position, loading it when the tenant is new to this node. */
  async positionOf(tenantId: string): Promise<number> {
    await this.start();
    await (this.chains.get(tenantId) ?? Promise.resolve());
    const p = this.last.get(tenantId);
    if (p !== undefined) return p;
    const s = (await tenantSeq(this.read(), tenantId)) ?? 0;
    if (!this.last.has(tenantId)) this.last.set(tenantId, s);
    return this.last.get(tenantId)!;
  }

  accept(events: CommittedEvent[]): void {
    const byTenant = new Map<string, CommittedEvent[]>();
    for (const e of events) {
      if (!e || typeof e.tenantId !== 'string' || !Number.isSafeInteger(e.seq)) continue;
      (byTenant.get(e.tenantId) ?? byTenant.set(e.tenantId, []).get(e.tenantId)!).push(e);
    }
    for (const [t, list] of byTenant) {
      const top = Math.max(...list.map((e) => e.seq));
      this.serial(t, () => this.advance(t, top, list));
    }
  }

  /** Reads the tenant's outbox up to its current seq: used after bus outages and as a periodic backstop. */
  catchUp(tenantId: string, upTo?: number): Promise<void> {
    return this.serial(tenantId, async () => {
      const target = upTo ?? (await tenantSeq(this.read(), tenantId));
      if (target != null) await this.advance(tenantId, target, []);
    });
  }

  /** Compares every tenant's seq with this node's position and catches up the ones that moved. */
  async reconcile(): Promise<number> {
    await this.start();
    const seqs = await allTenantSeqs(this.read());
    let behind = 0;
    for (const [t, s] of seqs) {
      const p = this.last.get(t);
      if (p === undefined || p < s) {
        behind++;
        void this.catchUp(t, s);
      }
    }
    return behind;
  }

  private serial(tenantId: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.chains.get(tenantId) ?? Promise.resolve();
    const next = prev
      .then(async () => {
        if (this.stopped) return;
        await this.start();
        await fn();
      })
      .catch((err) => this.log.warn({ err, tenantId }, 'sequencer could not advance; the next event or reconcile retries'));
    this.chains.set(tenantId, next);
    void next.then(() => {
      if (this.chains.get(tenantId) === next) this.chains.delete(tenantId);
    });
    return next;
  }

  private async advance(tenantId: string, top: number, known: CommittedEvent[]): Promise<void> {
    let last = this.last.get(tenantId);
    if (last === undefined) {
      // A tenant created after the baseline, or a stranger (another database on the same Redis): ask the database.
      const exists = await tenantSeq(this.read(), tenantId);
      if (exists === null) return;
      last = this.last.get(tenantId) ?? 0;
    }
    if (top <= last) return;
    const bySeq = new Map(known.map((e) => [e.seq, e]));
    let contiguous = true;
    for (let s = last + 1; s <= top; s++)
      if (!bySeq.has(s)) {
        contiguous = false;
        break;
      }
    const out: CommittedEvent[] = [];
    if (contiguous) {
      for (let s = last + 1; s <= top; s++) out.push(bySeq.get(s)!);
    } else {
      let after = last;
      while (after < top) {
        const page = await eventsBetween(this.read(), tenantId, after, top);
        if (page.length === 0) break;
        out.push(...page);
        after = page[page.length - 1].seq;
      }
      // Pruned history (a node that slept past the retention window) just starts from what is left.
    }
    for (const e of out) {
      if (this.stopped) return;
      if (e.seq <= (this.last.get(tenantId) ?? 0)) continue;
      this.last.set(tenantId, e.seq);
      this.feed.emit(e);
    }
    if (out.length === 0 || out[out.length - 1].seq < top) this.last.set(tenantId, Math.max(this.last.get(tenantId) ?? 0, top));
  }
}
