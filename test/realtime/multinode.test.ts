import { beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { REDIS_URL } from '../helpers/db.js';
import type { TestNode } from '../helpers/server.js';
import { Api, type Org } from '../helpers/api.js';
import { useCluster, type Cluster } from '../helpers/cluster.js';
import { realtimeExtension } from '../../server/realtime/realtime.extension.js';
import type { CommittedEvent } from '../../server/events/outbox.js';
import { connect, type LiveClient } from './live-client.js';

// A long reconcile interval: these tests are about the bus path, not the backstop.
const cluster = useCluster({ nodes: 2, orgs: ['multi'], extensions: () => [realtimeExtension({ reconcileMs: 600_000 })] });
let db: Cluster['db'];
let a: TestNode;
let b: TestNode;
let org: Org;
const clients: LiveClient[] = cluster.clients;
beforeAll(() => {
  ({
    db,
    org,
    nodes: [a, b],
  } = cluster);
});

const dealOn = (node: TestNode, token: string, name: string) =>
  new Api(node.url, token).post('/deals', { name, pipelineId: org.pipelineId }).then((r) => {
    expect(r.status).toBe(201);
    return r.body;
  });

describe('fan-out across nodes', () => {
  it('delivers writes from both nodes to sockets on both nodes, each stream gap-free and in order', async () => {
    const onA = await connect(a.url, { token: org.admin.token });
    const onB = await connect(b.url, { token: org.admin.token });
    const repB = await connect(b.url, { token: org.rep1.token });
    clients.push(onA, onB, repB);
    const writers = [a, b].map((node) => ({ node, api: org.admin.api.as(org.admin.token) }));
    // Concurrent writes through both nodes' REST APIs.
    const created: string[] = [];
    await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const w = writers[i % 2];
        const base = w.node.url;
        const r = await fetch(base + '/api/deals', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${i % 3 === 0 ? org.rep1.token : org.admin.token}` },
          body: JSON.stringify({ name: `d${i}`, pipelineId: org.pipelineId }),
        });
        expect(r.status).toBe(201);
        created.push((await r.json()).id);
      }),
    );
    for (const c of [onA, onB]) {
      await c.until((x) => created.every((id) => x.events.some((e) => e.data.id === id)));
      expect(c.seqs).toEqual(c.seqs.map((_, i) => c.ready!.seq + 1 + i));
    }
    expect(onA.seqs).toEqual(onB.seqs);
    const repIds = await repB.until((x) => x.events.length === 10 && x.events);
    expect(new Set(repIds.map((e) => e.data.ownerId))).toEqual(new Set([org.rep1.id]));
    const s = repB.seqs;
    expect([...s].sort((x, y) => x - y)).toEqual(s);
  });

  it('fills a gap from the outbox when the bus shows a later event first', async () => {
    const onB = await connect(b.url, { token: org.admin.token });
    clients.push(onB);
    // Commit three events through node A without the bus hearing about the first two: only the last
    // is published (by hand, as a node that lost messages would see it).
    const ext = a.pulse.extensions.find((e) => e.name === 'realtime') as ReturnType<typeof realtimeExtension>;
    const bus = ext.parts!.bus;
    const seen: CommittedEvent[][] = [];
    const real = bus.publishEvents.bind(bus);
    bus.publishEvents = async (ev) => {
      seen.push(ev);
      return true;
    };
    const d1 = await dealOn(a, org.admin.token, 'gap 1');
    const d2 = await dealOn(a, org.admin.token, 'gap 2');
    const d3 = await dealOn(a, org.admin.token, 'gap 3');
    bus.publishEvents = real;
    expect(seen.length).toBe(3);
    await real(seen[2]);
    const got = await onB.until((x) => x.events.length >= 3 && x.events);
    expect(got.map((e) => e.data.id)).toEqual([d1.id, d2.id, d3.id]);
    expect(onB.seqs).toEqual(onB.seqs.map((_, i) => onB.ready!.seq + 1 + i));
  });

  it('ignores bus messages for tenants that are not in its database', async () => {
    const pub = new Redis(REDIS_URL);
    const got: CommittedEvent[] = [];
    const off = b.pulse.feed.on((e) => got.push(e));
    const ext = b.pulse.extensions.find((e) => e.name === 'realtime') as ReturnType<typeof realtimeExtension>;
    const dbName = new URL(db.url).pathname.slice(1);
    const forged: CommittedEvent = {
      tenantId: '00000000-0000-4000-8000-000000000001',
      seq: 1,
      at: new Date().toISOString(),
      type: 'deal.created',
      entityType: 'deal',
      entityId: '00000000-0000-4000-8000-000000000002',
      data: {},
      audience: [org.admin.id],
      kind: 'fact',
      actor: { kind: 'user', id: org.admin.id, name: 'forger' },
      requestId: null,
      before: null,
      changed: null,
    };
    await pub.publish(`pulse:${dbName}:events`, JSON.stringify({ node: 'elsewhere', events: [forged] }));
    await pub.publish(`pulse:${dbName}:events`, 'not json');
    // A real event after the forged ones; the bus preserves order per connection, so once it is on the
    // feed the forged one has been processed (and dropped).
    const d = await dealOn(a, org.admin.token, 'after forged');
    await new Promise<void>((r) => {
      const t = () => (got.some((e) => e.entityId === d.id) ? r() : setTimeout(t, 20));
      t();
    });
    await ext.parts!.sequencer.catchUp(forged.tenantId);
    expect(got.some((e) => e.tenantId === forged.tenantId)).toBe(false);
    off();
    pub.disconnect();
  });
});
