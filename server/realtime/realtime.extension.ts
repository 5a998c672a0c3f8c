import type { PulseContext, PulseExtension } from '../extension.js';
import { one } from '../db/sql.js';
import { Keys, deploymentKeys, leaseNodeRedis, type RedisLease } from '../redis/index.js';
import { LocalBus, RedisBus, type Bus } from './bus.js';
import { Sequencer } from './sequencer.js';
import { Relay } from './relay.js';
import { LiveSockets } from './sockets.js';
import { Presence } from './presence.js';
import { OverdueScheduler } from './overdue.scheduler.js';

export interface RealtimeOptions {
  /** Defaults to the node's REDIS_URL (and its shared connections); without one the node runs alone on an in-process bus. */
  redisUrl?: string | null;
  maxReplay?: number;
  maxReplaySpan?: number;
  presenceTtlMs?: number;
  tickMs?: number;
  reconcileMs?: number;
  sweepAfterMs?: number;
  sessionRecheckMs?: number;
  /** Live sockets one user may hold per node (default 100). */
  maxSocketsPerUser?: number;
  /** How often events past EVENT_RETENTION_HOURS are deleted. */
  pruneEveryMs?: number;
  /** How often each node looks for tasks that just became overdue (default 5 s); 0 turns the scheduler off. */
  overdueEveryMs?: number;
}

/**
 * The live-event layer: committed events to the right browsers on every node (Redis fan-out, outbox
 * as the source of truth), replay on reconnect, and presence on records.
 */
export function realtimeExtension(opts: RealtimeOptions = {}): PulseExtension & {
  parts?: { bus: Bus; sequencer: Sequencer; relay: Relay; sockets: LiveSockets; presence: Presence; overdue: OverdueScheduler | null };
} {
  let bus: Bus;
  let lease: RedisLease | null = null;
  let parts: { bus: Bus; sequencer: Sequencer; relay: Relay; sockets: LiveSockets; presence: Presence; overdue: OverdueScheduler | null } | undefined;
  const ext: PulseExtension & { parts?: typeof parts } = {
    name: 'realtime',
    async attach(ctx: PulseContext) {
      const log = ctx.log.child({ ext: 'realtime' });
      const redisUrl = opts.redisUrl !== undefined ? opts.redisUrl : ctx.config.redisUrl;
      let keys = ctx.redis?.keys ?? null;
      if (redisUrl) {
        let node = ctx.redis;
        if (!node || node.url !== redisUrl) {
          // Pointed at a Redis other than the node's: same namespace rule, own lease.
          keys ??= deploymentKeys(
            ctx.config.redisPrefix,
            (await one<{ name: string }>(ctx.wp.read(), 'select current_database() as name'))?.name ?? 'db',
          );
          lease = leaseNodeRedis({ url: redisUrl, nodeId: ctx.config.nodeId, log, keys });
          node = lease.redis;
          await node.ready();
        }
        keys = node.keys;
        bus = new RedisBus(node, ctx.config.nodeId, log);
      } else bus = new LocalBus();
      const sequencer = new Sequencer(() => ctx.wp.read(), ctx.feed, log);
      // Listen before taking the baseline, so nothing committed in between is missed.
      const relay = new Relay(ctx.wp, bus, sequencer, log, {
        tickMs: opts.tickMs ?? 500,
        reconcileMs: opts.reconcileMs ?? 10_000,
        sweepAfterMs: opts.sweepAfterMs ?? 2_000,
        retentionMs: ctx.config.eventRetentionMs,
        pruneEveryMs: opts.pruneEveryMs ?? 10 * 60_000,
      });
      await sequencer.start();
      relay.start();
      const sockets = new LiveSockets(ctx, sequencer, {
        maxReplay: opts.maxReplay ?? 1000,
        maxReplaySpan: opts.maxReplaySpan ?? 50_000,
        recheckMs: opts.sessionRecheckMs ?? 30_000,
        maxSocketsPerUser: opts.maxSocketsPerUser ?? 100,
        adapter: bus.socketAdapter(),
      });
      // Keys of the in-process presence store are never shared, so their namespace does not matter there.
      const presence = new Presence(ctx, sockets.io, bus, keys ?? new Keys('pulse'), opts.presenceTtlMs ?? 30_000);
      presence.attach(sockets);
      const overdueEveryMs = opts.overdueEveryMs ?? 5_000;
      const overdue = overdueEveryMs > 0 ? new OverdueScheduler(ctx.wp, ctx.services.activities, log, { everyMs: overdueEveryMs, batch: 200 }) : null;
      overdue?.start();
      parts = { bus, sequencer, relay, sockets, presence, overdue };
      ext.parts = parts;
    },
    health() {
      if (!parts) return { status: 'starting' };
      return {
        bus: parts.bus.kind,
        connected: parts.bus.healthy(),
        sockets: parts.sockets.count(),
        published: parts.relay.published,
        publishFailed: parts.relay.failed,
        overdueFired: parts.overdue?.fired ?? null,
      };
    },
    degraded() {
      return !!parts && !parts.bus.healthy();
    },
    async close() {
      if (!parts) return;
      await parts.overdue?.close();
      parts.presence.close();
      await parts.sockets.close();
      await parts.relay.close();
      parts.sequencer.stop();
      await parts.bus.close();
      lease?.release();
    },
  };
  return ext;
}
