import type { Redis } from 'ioredis';
import { createAdapter } from '@socket.io/redis-adapter';
import type { CommittedEvent } from '../events/outbox.js';
import type { Logger } from '../log.js';
import type { NodeRedis } from '../redis/node-redis.js';

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
  healthy() {
    return true;
  }
  async publishEvents() {
    return true;
  }
  onEvents() {}
  socketAdapter() {
    return null;
  }
  onReconnect() {}
  async close() {}
}

interface Wire {
  node: string;
  events?: CommittedEvent[];
}

/** The bus on the node's shared Redis connections (server/redis/): one channel for committed events. */
export class RedisBus implements Bus {
  readonly kind = 'redis' as const;
  readonly redis: Redis;
  private sub: Redis;
  private eventsL: ((e: CommittedEvent[]) => void)[] = [];
  private chEvents: string;
  private offReconnect: () => void;
  private onMessage = (ch: string, raw: string) => {
    if (ch === this.chEvents) this.receive(raw);
  };
  private reconnectL: (() => void)[] = [];

  constructor(
    private node: NodeRedis,
    private nodeId: string,
    log: Logger,
  ) {
    this.chEvents = node.keys.ns('events');
    this.redis = node.command;
    this.sub = node.subscriber;
    this.offReconnect = node.onReconnect(() => {
      log.info('redis bus reconnected');
      for (const l of this.reconnectL) l();
    });
    // The subscriber connection is shared: other channels' messages arrive here too and are ignored.
    this.sub.on('message', this.onMessage);
    this.sub.subscribe(this.chEvents).catch((err) => log.warn({ err: err.message }, 'redis subscribe failed'));
  }

  healthy() {
    return this.node.healthy();
  }

  private receive(raw: string) {
    let m: Wire;
    try {
      m = JSON.parse(raw);
    } catch {
      return;
    }
    if (m.events && m.node !== this.nodeId) for (const l of this.eventsL) l(m.events);
  }

  async publishEvents(events: CommittedEvent[]): Promise<boolean> {
    try {
      await this.redis.publish(this.chEvents, JSON.stringify({ node: this.nodeId, events } satisfies Wire));
      return true;
    } catch {
      return false;
    }
  }
  onEvents(l: (e: CommittedEvent[]) => void) {
    this.eventsL.push(l);
  }
  socketAdapter() {
    const { pub, sub } = this.node.socketAdapterClients();
    return createAdapter(pub, sub, { key: this.node.keys.ns('sio') });
  }
  onReconnect(l: () => void) {
    this.reconnectL.push(l);
  }
  /** Stops listening; the connections belong to the node and close with it. */
  async close() {
    this.offReconnect();
    this.sub.off('message', this.onMessage);
    // Not awaited: while Redis is away it would wait in the offline queue until the node disconnects.
    this.sub.unsubscribe(this.chEvents).catch(() => {});
  }
}
