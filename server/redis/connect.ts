import { Redis } from 'ioredis';
import type { Logger } from '../log.js';

/**
 * A command connection runs ordinary commands (publish, presence hashes, rate-limit counters); a
 * subscriber connection is in subscribed mode and can run nothing but (p)subscribe/(p)unsubscribe.
 */
export type RedisRole = 'command' | 'subscriber';

/** The one retry policy: reconnect forever, 100 ms more per attempt, at most a second apart. */
export const retryStrategy = (attempt: number): number => Math.min(100 * attempt, 1000);

/**
 * Opens one ioredis connection for a role. Commands fail fast while Redis is away instead of queueing
 * (the outbox and PostgreSQL are the retry queues; a lost presence frame or note relay is repaired by
 * catch-up). Subscriptions do queue, and ioredis re-subscribes every channel and pattern on reconnect.
 *
 * The error/log policy lives here too: connection errors go to the log at debug (ioredis emits one per
 * retry), a lost connection is one warning and its return one info line.
 */
export function createRedis(role: RedisRole, url: string, log: Logger, name?: string): Redis {
  const common = { retryStrategy, lazyConnect: false, ...(name ? { connectionName: name.replace(/\s/g, '_') } : {}) };
  const c =
    role === 'command'
      ? new Redis(url, { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 1 })
      : new Redis(url, { ...common, enableOfflineQueue: true, maxRetriesPerRequest: null, autoResubscribe: true });
  let everReady = false;
  let up = false;
  let closing = false;
  c.on('error', (err: Error) => {
    if (!closing) log.debug({ err: err.message, role }, 'redis connection error');
  });
  c.on('ready', () => {
    if (everReady) log.info({ role }, 'redis reconnected');
    everReady = up = true;
  });
  // 'close' repeats for every failed retry: warn once per outage.
  c.on('close', () => {
    if (up && !closing) log.warn({ role }, 'redis connection lost; retrying');
    up = false;
  });
  // disconnect() is how the node closes it: nothing to warn about after that.
  const disconnect = c.disconnect.bind(c);
  c.disconnect = (reconnect?: boolean) => {
    if (!reconnect) closing = true;
    disconnect(reconnect);
  };
  return c;
}
