import { Redis } from 'ioredis';
import { createAdapter } from '@socket.io/redis-adapter';
import type { CommittedEvent } from '../events/outbox.js';
import type { Logger } from '../log.js';

/**
 * How committed events travel between nodes. Redis pub/sub is at-most-once, so it is only the fast
 * path: the outbox stays the source of truth (see sequencer.ts and relay.ts). Socket.IO's own
 * broadcasts (presence state to a record's room) go through the maintained Redis adapter instead,
 * which is fine for them: a lost presence frame is repaired by the next change or heartbeat.
 */
export interface Bus {
  readonly kind: 'redis' | 'local';
  healthy(): boolean;
  /** Resolves false when the bus could not take the message (the outbox sweeper retries). */
  publishEvents(events: CommittedEvent[]): Promise<boolean>;
  onEvents(l: (events: CommittedEvent[]) => void): void;
  /** The Socket.IO adapter that carries room broadcasts to every node; null on a single node. */
  socketAdapter(): ReturnType<typeof createAdapter> | null;
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
  healthy() { return true; }
  async publishEvents() { return true; }
  onEvents() {}
  socketAdapter() { return null; }
  onReconnect() {}
  async close() {}
}

interface Wire { node: string; events?: CommittedEvent[] }

export class RedisBus implements Bus {
  readonly kind = 'redis' as const;
  readonly redis: Redis;
  private sub: Redis;
  private adapterPub: Redis;
  private adapterSub: Redis;
  private eventsL: ((e: CommittedEvent[]) => void)[] = [];
  private reconnectL: (() => void)[] = [];
  private chEvents: string;
  private closed = false;

  constructor(url: string, private prefix: string, private nodeId: string, private log: Logger) {
    this.chEvents = `${prefix}:events`;
    const retryStrategy = (n: number) => Math.min(100 * n, 1000);
    // Commands fail fast while Redis is away rather than queueing: the outbox is the retry queue.
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy, lazyConnect: false });
    this.sub = new Redis(url, { retryStrategy, autoResubscribe: true, lazyConnect: false });
    // The adapter publishes without handling errors, so its commands must never reject: they queue
    // while Redis is away (presence only broadcasts while the bus is healthy, so the queue stays small).
    this.adapterPub = new Redis(url, { retryStrategy, maxRetriesPerRequest: null, lazyConnect: false });
    // ...and a command in flight when the connection closes is rejected, which the adapter leaves
    // unhandled (it would crash the process): a lost presence frame is harmless, so swallow it here.
    const publish = this.adapterPub.publish.bind(this.adapterPub) as (ch: string, msg: string | Buffer) => Promise<number>;
    (this.adapterPub as unknown as { publish: typeof publish }).publish = (ch, msg) => publish(ch, msg).catch(() => 0);
    this.adapterSub = new Redis(url, { retryStrategy, autoResubscribe: true, lazyConnect: false });
    for (const c of [this.redis, this.sub, this.adapterPub, this.adapterSub]) c.on('error', (err) => { if (!this.closed) log.debug({ err: err.message }, 'redis bus error'); });
    let everReady = false;
    this.sub.on('ready', () => {
      if (everReady) log.info('redis bus reconnected');
      everReady = true;
      for (const l of this.reconnectL) l();
    });
    this.sub.on('message', (_ch: string, raw: string) => this.receive(raw));
    this.sub.subscribe(this.chEvents).catch((err) => log.warn({ err: err.message }, 'redis subscribe failed'));
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
  }

  async publishEvents(events: CommittedEvent[]): Promise<boolean> {
    try {
      await this.redis.publish(this.chEvents, JSON.stringify({ node: this.nodeId, events } satisfies Wire));
      return true;
    } catch { return false; }
  }
  onEvents(l: (e: CommittedEvent[]) => void) { this.eventsL.push(l); }
  socketAdapter() { return createAdapter(this.adapterPub, this.adapterSub, { key: `${this.prefix}:sio` }); }
  onReconnect(l: () => void) { this.reconnectL.push(l); }
  async close() {
    this.closed = true;
    for (const c of [this.sub, this.redis, this.adapterPub, this.adapterSub]) c.disconnect();
  }
}
