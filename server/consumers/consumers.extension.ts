import type { PulseContext, PulseExtension } from '../extension.js';
import type { WritePath } from '../db/write.js';
import type { Consumer } from './consumer.js';
import { ConsumerRunner } from './runner.js';
import { consumerHealth } from './cursors.js';

export interface ConsumersOptions {
  consumers?: Consumer[];
  /** Poll period (default 1 s); commits on any node also wake the consumers at once. */
  pollMs?: number;
  /** Tenants one consumer works on at once on this node (default 4). */
  concurrency?: number;
}

/** The node's consumers, by WritePath: the outbox pruner asks which consumers hold events back. */
const registries = new WeakMap<WritePath, ConsumerRegistry>();

/** Names of the enabled consumers on the node that owns `wp` (none without the extension): pruning keeps what they have not passed. */
export function enabledConsumers(wp: WritePath): string[] {
  return registries.get(wp)?.enabledNames() ?? [];
}

export interface ConsumerRegistry {
  /** Adds a consumer (before or after the node started); features call this from their own attach(). */
  register(c: Consumer): void;
  list(): Consumer[];
  enabledNames(): string[];
  runner(name: string): ConsumerRunner | undefined;
}

/**
 * The durable-consumer registry. Later features (search indexer, webhooks, notifications) call
 * `registry.register(consumer)`; the extension runs each enabled consumer on this node, wakes it on
 * this node's commits and on other nodes' commits arriving through the feed, polls as a fallback,
 * and reports lag and errors under `consumers` in GET /api/health.
 */
export function consumersExtension(opts: ConsumersOptions = {}): PulseExtension & { registry: ConsumerRegistry } {
  const consumers = new Map<string, Consumer>();
  const runners = new Map<string, ConsumerRunner>();
  let ctx: PulseContext | null = null;
  const offs: (() => void)[] = [];

  const startRunner = (c: Consumer) => {
    if (!ctx || c.enabled === false || runners.has(c.name)) return;
    const r = new ConsumerRunner(c, ctx.orm, ctx.log.child({ consumer: c.name }), {
      pollMs: opts.pollMs ?? 1000,
      concurrency: opts.concurrency ?? 4,
    });
    runners.set(c.name, r);
    r.start();
  };

  const registry: ConsumerRegistry = {
    register(c) {
      if (consumers.has(c.name)) throw new Error(`consumer '${c.name}' is registered twice`);
      consumers.set(c.name, c);
      startRunner(c);
    },
    list: () => [...consumers.values()],
    enabledNames: () => [...consumers.values()].filter((c) => c.enabled !== false).map((c) => c.name),
    runner: (name) => runners.get(name),
  };
  for (const c of opts.consumers ?? []) registry.register(c);

  const wakeFor = (tenantId: string, type: string, kind: string) => {
    for (const r of runners.values()) if (r.handles(type, kind)) r.wake(tenantId);
  };

  return {
    name: 'consumers',
    registry,
    attach(c) {
      ctx = c;
      registries.set(c.wp, registry);
      offs.push(
        c.wp.onCommit((events) => {
          for (const e of events) wakeFor(e.tenantId, e.type, e.kind);
        }),
      );
      // Other nodes' commits (the feed also carries this node's, which is harmless: waking is idempotent).
      offs.push(c.feed.on((e) => wakeFor(e.tenantId, e.type, e.kind)));
      for (const x of consumers.values()) startRunner(x);
    },
    async health() {
      if (!ctx) return {};
      const names = [...consumers.keys()];
      const h = await consumerHealth(ctx.wp.read(), names);
      const out: Record<string, unknown> = {};
      for (const n of names) {
        const c = consumers.get(n)!;
        out[n] = {
          enabled: c.enabled !== false,
          ...(h.get(n) ?? { tenants: 0, maxLag: 0, totalLag: 0, failingTenants: 0, lastError: null, lastErrorAt: null }),
        };
      }
      return out;
    },
    async close() {
      for (const off of offs.splice(0)) off();
      await Promise.all([...runners.values()].map((r) => r.close()));
      runners.clear();
    },
  };
}
