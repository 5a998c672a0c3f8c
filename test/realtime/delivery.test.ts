import { beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL } from '../helpers/db.js';
import { startNode, type TestNode } from '../helpers/server.js';
import type { Org } from '../helpers/api.js';
import { useCluster, type Cluster } from '../helpers/cluster.js';
import { realtimeExtension } from '../../server/realtime/realtime.extension.js';
import { connect, type LiveClient } from './live-client.js';

const cluster = useCluster({ nodes: 1, orgs: ['live', 'other'], extensions: () => [realtimeExtension()] });
let db: Cluster['db'];
let node: TestNode;
let org: Org;
let other: Org;
const clients: LiveClient[] = cluster.clients;
beforeAll(() => {
  ({
    db,
    nodes: [node],
    orgs: [org, other],
  } = cluster);
});

const open = async (token: string, auth: Record<string, unknown> = {}) => {
  const c = await connect(node.url, { token, ...auth });
  clients.push(c);
  return c;
};
const newDeal = async (who: { api: Org['admin']['api'] }, title: string, o = org) => {
  const r = await who.api.post('/deals', { name: title, pipelineId: o.pipelineId, stageId: o.stages[0].id, amount: '100.00' });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
};

describe('live events', () => {
  it('pushes a committed deal to exactly the users the visibility module allows, in order', async () => {
    const [admin, manager, rep1, rep2, solo, stranger] = await Promise.all(
      [org.admin, org.manager, org.rep1, org.rep2, org.solo, other.admin].map((u) => open(u.token)),
    );
    expect(rep1.ready?.userId).toBe(org.rep1.id);

    const deal = await newDeal(org.rep1, 'Live one');
    for (const c of [admin, manager, rep1]) {
      const e = await c.untilEvent((e) => e.type === 'deal.created' && e.data.id === deal.id);
      expect(e.data.name).toBe('Live one');
    }
    // Each socket's stream is in seq order, so once rep2, solo and the stranger see their own later
    // event, anything of rep1's they were going to get would already be there.
    const d2 = await newDeal(org.rep2, 'rep2 own');
    const d3 = await newDeal(org.solo, 'solo own');
    const d4 = await newDeal(other.admin, 'other tenant', other);
    await rep2.untilEvent((e) => e.data.id === d2.id);
    await solo.untilEvent((e) => e.data.id === d3.id);
    await stranger.untilEvent((e) => e.data.id === d4.id);
    for (const c of [rep2, solo, stranger]) expect(c.events.some((e) => e.data?.id === deal.id)).toBe(false);
    expect(stranger.events.some((e) => e.data?.id === d2.id || e.data?.id === d3.id)).toBe(false);
    await manager.untilEvent((e) => e.data.id === d2.id);
    expect(manager.events.some((e) => e.data.id === d3.id)).toBe(false);
    // Admin sees every event of the tenant: strictly increasing seqs with no gap after ready.
    await admin.untilEvent((e) => e.data.id === d3.id);
    const seqs = admin.seqs;
    expect(seqs).toEqual(seqs.map((_, i) => admin.ready!.seq + 1 + i));
  });

  it('accepts the session cookie from the same origin and refuses it cross-origin', async () => {
    const ok = await connect(node.url, {}, { extraHeaders: { cookie: `pulse_session=${org.rep1.token}` } });
    clients.push(ok);
    expect(ok.ready?.userId).toBe(org.rep1.id);
    const err = await connect(node.url, {}, { extraHeaders: { cookie: `pulse_session=${org.rep1.token}`, origin: 'https://evil.example' } }).catch(
      (e) => e,
    );
    expect(err.data?.error?.code).toBe('FORBIDDEN');
  });

  it('caps the live sockets one user holds on a node, and frees a slot when one closes', async () => {
    const capped = await startNode({ databaseUrl: db.url, redisUrl: REDIS_URL, extensions: () => [realtimeExtension({ maxSocketsPerUser: 2 })] });
    const mine: LiveClient[] = [];
    try {
      mine.push(await connect(capped.url, { token: org.rep2.token }), await connect(capped.url, { token: org.rep2.token }));
      const third = await connect(capped.url, { token: org.rep2.token }).catch((e) => e);
      expect(third.data).toMatchObject({ status: 429, error: { code: 'TOO_MANY_SOCKETS' } });
      // Another user is not affected.
      mine.push(await connect(capped.url, { token: org.rep1.token }));
      mine.shift()!.close();
      const deadline = Date.now() + 5000;
      for (;;) {
        const again = await connect(capped.url, { token: org.rep2.token }).catch((e) => e);
        if (!(again instanceof Error)) {
          mine.push(again);
          break;
        }
        if (Date.now() > deadline) throw new Error('the slot was not freed');
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      for (const c of mine) c.close();
      await capped.close();
    }
  });

  it('refuses sockets without a valid session and bad lastSeq with a clear error', async () => {
    const none = await connect(node.url, {}).catch((e) => e);
    expect(none.data).toMatchObject({ status: 401, error: { code: 'UNAUTHENTICATED' } });
    const bad = await connect(node.url, { token: 'nope' }).catch((e) => e);
    expect(bad.data?.error?.code).toBe('UNAUTHENTICATED');
    expect(bad.message).toBe('UNAUTHENTICATED');
    const badSeq = await connect(node.url, { token: org.rep1.token, lastSeq: -3 }).catch((e) => e);
    expect(badSeq.data).toMatchObject({ status: 400, error: { code: 'VALIDATION_FAILED' } });
  });

  it('answers malformed socket requests with 4xx errors and keeps the socket usable', async () => {
    const c = await open(org.rep1.token);
    for (const body of [null, 'x', { since: 'a' }, { since: 1.5 }, { since: 1, extra: true }]) {
      const r = await c.request('events.replay', body);
      expect(r).toMatchObject({ status: 400, error: { code: 'VALIDATION_FAILED' } });
    }
    c.socket.emit('events.replay', { since: -1 });
    const m = await c.untilMessage('request.error');
    expect(m.body.error.code).toBe('VALIDATION_FAILED');
    const deal = await newDeal(org.rep1, 'still live');
    await c.untilEvent((e) => e.data.id === deal.id);
  });

  it('rate-limits socket requests per socket with 429, without cutting the event stream', async () => {
    const c = await open(org.rep1.token);
    const answers = await Promise.all(Array.from({ length: 100 }, () => c.request('events.replay', { since: 'bad' })));
    expect(answers.some((a) => a.status === 429 && a.error.code === 'RATE_LIMITED')).toBe(true);
    expect(answers.every((a) => a.status === 429 || a.status === 400)).toBe(true);
    const deal = await newDeal(org.rep1, 'after the flood');
    await c.untilEvent((e) => e.data.id === deal.id);
  });

  it('ends the live stream when the session is logged out', async () => {
    const l = await org.api.post('/auth/login', { email: (await org.rep2.api.get('/me')).body.email, password: 'correct horse battery' });
    const c = await open(l.body.token);
    await org.api.as(l.body.token).post('/auth/logout');
    const ext = node.pulse.extensions.find((e) => e.name === 'realtime') as ReturnType<typeof realtimeExtension>;
    await ext.parts!.sockets.recheckSessions();
    await c.untilMessage('session.expired');
    await c.until((x) => !x.socket.connected);
  });

  it('reports the bus in health', async () => {
    const h = await org.api.get('/health');
    expect(h.body.realtime).toMatchObject({ bus: 'redis', connected: true });
    expect(h.body.status).toBe('ok');
  });
});
