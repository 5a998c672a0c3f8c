import type { WritePath } from '../db/write.js';
import type { CommittedEvent } from '../events/outbox.js';
import type { Logger } from '../log.js';
import type { Bus } from './bus.js';
import type { Sequencer } from './sequencer.js';
import { markPublished, prune, unpublished } from './outbox-queries.js';
import { enabledConsumers } from '../consumers/consumers.extension.js';

export interface RelayOptions {
  /** Unpublished events older than this are someone else's failure: publish them again. */
  sweepAfterMs: number;
  tickMs: number;
  /** How often every tenant's seq is compared with this node's position while the bus is up (it is every tick while down). */
  reconcileMs: number;
  retentionMs: number;
  pruneEveryMs: number;
}

/**
 * Moves committed events from the outbox onto the bus, and keeps this node's feed whole when the bus
 * loses messages: its own commits go straight to the local feed, everyone's commits are read back
 * from the outbox after an outage (and periodically, since pub/sub is at-most-once).
 */
export class Relay {
  private timer: NodeJS.Timeout | null = null;
  private toMark: CommittedEvent[] = [];
  private lastReconcile = 0;
  private lastPrune = 0;
  private wasHealthy = true;
  private busy = false;
  private offCommit: () => void;
  published = 0;
  failed = 0;

  constructor(
    private wp: WritePath,
    private bus: Bus,
    private seq: Sequencer,
    private log: Logger,
    private opts: RelayOptions,
  ) {
    this.offCommit = wp.onCommit((events) => {
      seq.accept(events);
      void this.publish(events);
    });
    bus.onEvents((events) => seq.accept(events));
    bus.onReconnect(() => {
      this.lastReconcile = 0;
      void this.tick();
    });
  }

  start() {
    this.timer = setInterval(() => {
      void this.tick();
    }, this.opts.tickMs);
    this.timer.unref();
  }

  private async publish(events: CommittedEvent[]): Promise<void> {
    if (await this.bus.publishEvents(events)) {
      this.published += events.length;
      this.toMark.push(...events);
    } else this.failed += events.length;
  }

  /** One pass of background work; never overlaps itself. */
  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const healthy = this.bus.healthy();
      const now = Date.now();
      if (this.bus.kind === 'redis' && (!healthy || !this.wasHealthy || now - this.lastReconcile >= this.opts.reconcileMs)) {
        this.lastReconcile = now;
        await this.seq.reconcile();
      }
      this.wasHealthy = healthy;
      if (this.toMark.length) {
        const batch = this.toMark;
        this.toMark = [];
        await markPublished(this.wp.read(), batch);
      }
      if (healthy) {
        const stale = await unpublished(this.wp.read(), this.opts.sweepAfterMs, 500);
        if (stale.length && (await this.bus.publishEvents(stale))) await markPublished(this.wp.read(), stale);
      }
      if (now - this.lastPrune >= this.opts.pruneEveryMs) {
        this.lastPrune = now;
        const n = await prune(this.wp.read(), this.opts.retentionMs, enabledConsumers(this.wp));
        if (n) this.log.info({ pruned: n }, 'pruned outbox events past retention');
      }
    } catch (err) {
      this.log.warn({ err }, 'relay tick failed');
    } finally {
      this.busy = false;
    }
  }

  async close(): Promise<void> {
    this.offCommit();
    if (this.timer) clearInterval(this.timer);
    if (this.toMark.length) await markPublished(this.wp.read(), this.toMark).catch(() => {});
  }
}
