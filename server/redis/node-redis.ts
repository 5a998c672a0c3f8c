import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { createRedis } from './connect.js';
import { Keys } from './keys.js';

/**
 * A node's whole use of Redis: one command connection and one subscriber connection, shared by the
 * login rate limiter, the live-event bus, presence, Socket.IO's Redis adapter and the notes relay.
 * Every subscriber filters the messages it gets by channel, so sharing one subscribed connection
 * costs nothing, and two connections per node is the least that works (a subscribed connection
 * cannot run commands).
 */
export class NodeRedis {
  readonly command: Redis;
  readonly subscriber: Redis;
  private reconnectL = new Set<() => void>();
  private everReady = false;

  constructor(
    readonly url: string,
    readonly keys: Keys,
    nodeId: string,
    log: Logger,
  ) {
    this.command = createRedis('command', url, log, `${nodeId}:command`);
    this.subscriber = createRedis('subscriber', url, log, `${nodeId}:subscriber`);
    this.subscriber.on('ready', () => {
      if (this.everReady) for (const l of [...this.reconnectL]) l();
      this.everReady = true;
    });
  }

  /** Waits (briefly) for both connections, so a node that starts next to a live Redis starts healthy. */
  async ready(timeoutMs = 3000): Promise<void> {
    // A refused connection settles it too: the node then starts degraded instead of waiting out the timeout.
    const wait = (c: Redis) =>
      c.status === 'ready'
        ? Promise.resolve()
        : new Promise<void>((r) => {
            c.once('ready', () => r());
            c.once('error', () => r());
          });
    await Promise.race([Promise.all([wait(this.command), wait(this.subscriber)]), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  healthy(): boolean {
    return this.command.status === 'ready' && this.subscriber.status === 'ready';
  }

  /**
   * Called each time the subscriber connection comes back after a loss (not on the first connect):
   * ioredis has re-subscribed by then, but whatever was published meanwhile is gone and must be read
   * back from PostgreSQL. Returns the function that stops listening.
   */
  onReconnect(l: () => void): () => void {
    this.reconnectL.add(l);
    return () => {
      this.reconnectL.delete(l);
    };
  }

  /**
   * The pair for `@socket.io/redis-adapter`, on the node's own two connections. The adapter publishes
   * without handling the promise, and a command connection rejects while Redis is away, which would be
   * an unhandled rejection: its publish swallows the failure (a lost room broadcast, i.e. a presence
   * frame, is repaired by the next change or heartbeat).
   */
  socketAdapterClients(): { pub: Redis; sub: Redis } {
    const command = this.command;
    const publish = (ch: string, msg: string | Buffer) => command.publish(ch, msg).catch(() => 0);
    const pub = new Proxy(command, {
      get(target, prop) {
        if (prop === 'publish') return publish;
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    return { pub, sub: this.subscriber };
  }

  close(): void {
    this.reconnectL.clear();
    this.subscriber.disconnect();
    this.command.disconnect();
  }
}

/**
 * The node's connections by (node id, URL), so a part of the node that is handed only a URL (the
 * notes relay) shares them instead of opening its own. Reference-counted: the last release closes.
 */
const shared = new Map<string, { redis: NodeRedis; refs: number }>();

export interface RedisLease {
  redis: NodeRedis;
  release(): void;
}

/**
 * Takes a reference to the node's connections, opening them on first use. `keys` is required to open
 * them; later callers get the namespace the node chose (REDIS_PREFIX or its database's name).
 */
export function leaseNodeRedis(opts: { url: string; nodeId: string; log: Logger; keys?: Keys }): RedisLease {
  const id = `${opts.nodeId}\n${opts.url}`;
  let e = shared.get(id);
  if (!e) {
    // The namespace belongs to the deployment, not the URL: a part of the node pointed at another Redis keeps it.
    const keys = opts.keys ?? [...shared.entries()].find(([k]) => k.startsWith(`${opts.nodeId}\n`))?.[1].redis.keys;
    if (!keys) throw new Error("leaseNodeRedis: the first lease of a node's Redis must name its key namespace");
    e = { redis: new NodeRedis(opts.url, keys, opts.nodeId, opts.log), refs: 0 };
    shared.set(id, e);
  }
  const entry = e;
  entry.refs++;
  let released = false;
  return {
    redis: entry.redis,
    release() {
      if (released) return;
      released = true;
      if (--entry.refs === 0) {
        shared.delete(id);
        entry.redis.close();
      }
    },
  };
}
