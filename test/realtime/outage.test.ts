import { beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startNode, type TestNode } from '../helpers/server.js';
import { Api, type Org } from '../helpers/api.js';
import { useCluster, until, type Cluster } from '../helpers/cluster.js';
import { realtimeExtension } from '../../server/realtime/realtime.extension.js';
import { connect, type LiveClient } from './live-client.js';

// This file's own Redis (OwnRedis), so stopping it disturbs nobody else.
const cluster = useCluster({
  nodes: 2,
  redis: 'own',
  orgs: ['outage'],
  extensions: () => [realtimeExtension({ tickMs: 100, sweepAfterMs: 200, presenceTtlMs: 1500 })],
});
let redisUrl = '';
const startRedis = () => cluster.redis!.start();
const stopRedis = () => cluster.redis!.stop();
let db: Cluster['db'];
let a: TestNode;
let b: TestNode;
let org: Org;
const clients: LiveClient[] = cluster.clients;
beforeAll(() => {
  ({
    db,
    org,
    redisUrl,
    nodes: [a, b],
  } = cluster);
});

const health = (n: TestNode) => new Api(n.url).get('/health').then((r) => r.body);
const unpublished = async () => {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  const r = await c.query('select count(*)::int as n from outbox_events where published_at is null');
  await c.end();
  return r.rows[0].n as number;
};

describe('Redis outage', () => {
  it('keeps delivering across nodes from the outbox while Redis is down, and recovers when it returns', async () => {
    const onB = await connect(b.url, { token: org.admin.token });
    const onA = await connect(a.url, { token: org.rep1.token });
    clients.push(onA, onB);

    await stopRedis();
    const h = await until(async () => {
      const x = await health(b);
      return x.status === 'degraded' && x;
    });
    expect(h.realtime).toMatchObject({ bus: 'redis', connected: false });

    const during = await org.rep1.api.post('/deals', { name: 'while down', pipelineId: org.pipelineId });
    expect(during.status).toBe(201);
    await onB.untilEvent((e) => e.data.id === during.body.id);
    await onA.untilEvent((e) => e.data.id === during.body.id);
    expect(await unpublished()).toBeGreaterThan(0);

    await startRedis();
    await until(async () => (await health(b)).status === 'ok' && (await health(a)).status === 'ok');
    const after = await new Api(b.url, org.rep1.token).post('/deals', { name: 'after', pipelineId: org.pipelineId });
    expect(after.status).toBe(201);
    await onA.untilEvent((e) => e.data.id === after.body.id);
    await onB.untilEvent((e) => e.data.id === after.body.id);
    expect(onB.seqs).toEqual(onB.seqs.map((_, i) => onB.ready!.seq + 1 + i));
    expect(onA.events.map((e) => e.data.id)).toEqual([during.body.id, after.body.id]);
    // What could not be published during the outage is published (and marked) once Redis is back.
    await until(async () => (await unpublished()) === 0);
  });

  it('keeps presence working on each node while Redis is down, and merges it across nodes when Redis returns', async () => {
    const dealId = (await org.rep1.api.post('/deals', { name: 'watched in the dark', pipelineId: org.pipelineId })).body.id;
    const names = (s: any) => s.users.map((u: any) => u.name).join();
    const lastState = (c: LiveClient) => [...c.other].reverse().find((m) => m.name === 'presence.state')?.body;
    const rep = await connect(a.url, { token: org.rep1.token });
    const mgr = await connect(b.url, { token: org.manager.token });
    const admin = await connect(a.url, { token: org.admin.token });
    clients.push(rep, mgr, admin);

    await stopRedis();
    await until(async () => (await health(a)).status === 'degraded' && (await health(b)).status === 'degraded');
    // Joining still works: each node shows the watchers it holds itself.
    const r1 = await rep.request('presence.join', { entityType: 'deal', entityId: dealId });
    expect(r1.ok).toBe(true);
    expect(names(r1.state)).toBe('rep1');
    const r2 = await mgr.request('presence.join', { entityType: 'deal', entityId: dealId });
    expect(names(r2.state)).toBe('manager');
    const r3 = await admin.request('presence.join', { entityType: 'deal', entityId: dealId });
    expect(names(r3.state)).toBe('Admin,rep1');
    await rep.until((c) => {
      const st = lastState(c);
      return st && names(st) === 'Admin,rep1';
    });

    await startRedis();
    // Once Redis is back the heartbeat writes the entries and every watcher, on either node, sees all three.
    for (const c of [rep, mgr, admin])
      await c.until((x) => {
        const st = lastState(x);
        return st && names(st) === 'Admin,manager,rep1';
      });
    await until(async () => (await health(a)).status === 'ok' && (await health(b)).status === 'ok');
  });

  it('starts a node while Redis is down, degraded but serving', async () => {
    await stopRedis();
    const c = await startNode({ databaseUrl: db.url, redisUrl, extensions: () => [realtimeExtension({ tickMs: 100 })] });
    try {
      expect((await health(c)).status).toBe('degraded');
      const live = await connect(c.url, { token: org.manager.token });
      clients.push(live);
      const d = await new Api(a.url, org.rep2.token).post('/deals', { name: 'to a cold node', pipelineId: org.pipelineId });
      await live.untilEvent((e) => e.data.id === d.body.id);
    } finally {
      await c.close();
      await startRedis();
    }
  });
});
