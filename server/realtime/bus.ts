import { Redis } from 'ioredis';
import type { CommittedEvent } from '../events/outbox.js';
import type { Logger } from '../log.js';

/** A presence change on some record: every node with watchers of that record re-reads and pushes its state. */
export interface PresenceSignal { key: string }

/**
 * How committed events and presence changes travel between nodes. Redis pub/sub is at-most-once, so
 * it is only the fast path: the outbox stays the source of truth (see sequencer.ts and relay.ts).
 */
export interface Bus {
  readonly kind: 'redis' | 'local';
  healthy(): boolean;
  /** Resolves false when the bus could not take the message (the outbox sweeper retries). */
  publishEvents(events: CommittedEvent[]): Promise<boolean>;
  onEvents(l: (events: CommittedEvent[]) => void): void;
  publishPresence(s: PresenceSignal): Promise<void>;
  onPresence(l: (s: PresenceSignal) => void): void;
  /** Called whenever the bus (re)connects: whatever was published meanwhile is lost and must be read back. */
  onReconnect(l: () => void): void;
  /** The command connection, for presence state; null on the local bus. */
  readonly redis: Redis | null;
  close(): Promise<void>;
}

/** A single node without Redis: the node's own commits are its whole world. */
export class LocalBus implements Bus {
  readonly kind = 'local' as const;
  readonly redis = null;
  private presence: ((s: PresenceSignal) => void)[] = [];
  healthy() { return true; }
  async publishEvents() { return true; }
  onEvents() {}
  async publishPresence(s: PresenceSignal) { for (const l of this.presence) l(s); }
  onPresence(l: (s: PresenceSignal) => void) { this.presence.push(l); }
  onReconnect() {}
  async close() {}
}

interface Wire { node: string; events?: CommittedEvent[]; presence?: PresenceSignal }

export class RedisBus implements Bus {
  readonly kind = 'redis' as const;
  readonly redis: Redis;
  private sub: Redis;
  private eventsL: ((e: CommittedEvent[]) => void)[] = [];
  private presenceL: ((s: PresenceSignal) => void)[] = [];
  private reconnectL: (() => void)[] = [];
  private chEvents: string;
  private chPresence: string;
  private closed = false;

  constructor(url: string, prefix: string, private nodeId: string, private log: Logger) {
    this.chEvents = `${prefix}:events`;
    this.chPresence = `${prefix}:presence`;
    const retryStrategy = (n: number) => Math.min(100 * n, 1000);
    // Commands fail fast while Redis is away rather than queueing: the outbox is the retry queue.
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy, lazyConnect: false });
    this.sub = new Redis(url, { retryStrategy, autoResubscribe: true, lazyConnect: false });
    for (const c of [this.redis, this.sub]) c.on('error', (err) => { if (!this.closed) log.debug({ err: err.message }, 'redis bus error'); });
    let everReady = false;
    this.sub.on('ready', () => {
      if (everReady) log.info('redis bus reconnected');
      everReady = true;
      for (const l of this.reconnectL) l();
    });
    this.sub.on('message', (_ch: string, raw: string) => this.receive(raw));
    this.sub.subscribe(this.chEvents, this.chPresence).catch((err) => log.warn({ err: err.message }, 'redis subscribe failed'));
  }

  /** Waits (briefly) for both connections, so a node that starts next to a live Redis starts healthy. */
  async ready(timeoutMs = 3000): Promise<void> {
    // A refused connection settles it too: the node then starts degraded instead of waiting out the timeout.
    const wait = (c: Redis) => c.status === 'ready' ? Promise.resolve() : new Promise<void>((r) => { c.once('ready', () => r()); c.once('error', () => r()); });
    await Promise.race([Promise.all([wait(this.redis), wait(this.sub)]), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  healthy() { return this.redis.status === 'ready' && this.sub.status === 'ready'; }

  private receive(raw: string) {
    let m: Wire;
    try { m = JSON.parse(raw); } catch { return; }
    if (m.events && m.node !== this.nodeId) for (const l of this.eventsL) l(m.events);
    if (m.presence) for (const l of this.presenceL) l(m.presence);
  }

  async publishEvents(events: CommittedEvent[]): Promise<boolean> {
    try {
      await this.redis.publish(this.chEvents, JSON.stringify({ node: this.nodeId, events } satisfies Wire));
      return true;
    } catch { return false; }
  }
  onEvents(l: (e: CommittedEvent[]) => void) { this.eventsL.push(l); }
  async publishPresence(presence: PresenceSignal) {
    await this.redis.publish(this.chPresence, JSON.stringify({ node: this.nodeId, presence } satisfies Wire));
  }
  onPresence(l: (s: PresenceSignal) => void) { this.presenceL.push(l); }
  onReconnect(l: () => void) { this.reconnectL.push(l); }
  async close() {
    this.closed = true;
    this.sub.disconnect();
    this.redis.disconnect();
  }
}
