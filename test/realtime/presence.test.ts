import { beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { REDIS_URL } from '../helpers/db.js';
import type { TestNode } from '../helpers/server.js';
import { useCluster, type Cluster } from '../helpers/cluster.js';
import { createOrg, type Org } from '../helpers/api.js';
import { realtimeExtension } from '../../server/realtime/realtime.extension.js';
import { connect, type LiveClient } from './live-client.js';

const cluster = useCluster({ nodes: 2, orgs: ['presence'], extensions: () => [realtimeExtension({ presenceTtlMs: 900 })] });
let db: Cluster['db'];
let a: TestNode;
let b: TestNode;
let org: Org;
let dealId: string;
const clients: LiveClient[] = cluster.clients;
beforeAll(async () => {
  ({
    db,
    org,
    nodes: [a, b],
  } = cluster);
  dealId = (await org.rep1.api.post('/deals', { name: 'watched', pipelineId: org.pipelineId })).body.id;
});

const open = async (node: TestNode, token: string) => {
  const c = await connect(node.url, { token });
  clients.push(c);
  return c;
};
const names = (s: any) => s.users.map((u: any) => u.name);
const lastState = (c: LiveClient) => [...c.other].reverse().find((m) => m.name === 'presence.state')?.body;

describe('presence', () => {
  it('shows who is on a record across nodes, and drops them when they leave or disconnect', async () => {
    const rep = await open(a, org.rep1.token);
    const mgr = await open(b, org.manager.token);
    const r1 = await rep.request('presence.join', { entityType: 'deal', entityId: dealId });
    expect(r1.ok).toBe(true);
    expect(names(r1.state)).toEqual(['rep1']);
    const r2 = await mgr.request('presence.join', { entityType: 'deal', entityId: dealId });
    expect(names(r2.state)).toEqual(['manager', 'rep1']);
    await rep.until((c) => {
      const s = lastState(c);
      return s && names(s).join() === 'manager,rep1';
    });
    // A second tab of the same user is one person.
    const tab2 = await open(b, org.manager.token);
    const r3 = await tab2.request('presence.join', { entityType: 'deal', entityId: dealId });
    expect(names(r3.state)).toEqual(['manager', 'rep1']);

    expect(await mgr.request('presence.leave', { entityType: 'deal', entityId: dealId })).toEqual({ ok: true });
    tab2.close();
    await rep.until((c) => {
      const s = lastState(c);
      return s && names(s).join() === 'rep1';
    });
    expect(lastState(rep)).toMatchObject({ entityType: 'deal', entityId: dealId });
  });

  it('refuses records the viewer may not see, as not found, and bad input as 400', async () => {
    const rep2 = await open(b, org.rep2.token);
    const hidden = await rep2.request('presence.join', { entityType: 'deal', entityId: dealId });
    expect(hidden).toMatchObject({ status: 404, error: { code: 'NOT_FOUND' } });
    const missing = await rep2.request('presence.join', { entityType: 'deal', entityId: '00000000-0000-4000-8000-000000000000' });
    expect(missing.error.code).toBe('NOT_FOUND');
    for (const bad of [
      null,
      {},
      { entityType: 'tenant', entityId: dealId },
      { entityType: 'deal', entityId: 'x' },
      { entityType: 'deal', entityId: dealId, more: 1 },
    ]) {
      expect(await rep2.request('presence.join', bad)).toMatchObject({ status: 400, error: { code: 'VALIDATION_FAILED' } });
    }
    expect(await rep2.request('presence.leave', 'nope')).toMatchObject({ status: 400 });
    // Nobody on the record heard of rep2.
    const watcher = await open(a, org.admin.token);
    const s = await watcher.request('presence.join', { entityType: 'deal', entityId: dealId });
    expect(names(s.state)).not.toContain('rep2');
  });

  it('takes users off a record once they lose sight of it', async () => {
    const d = (await org.rep1.api.post('/deals', { name: 'to be reassigned', pipelineId: org.pipelineId })).body.id;
    const admin = await open(a, org.admin.token);
    const rep = await open(b, org.rep1.token);
    await admin.request('presence.join', { entityType: 'deal', entityId: d });
    expect(names((await rep.request('presence.join', { entityType: 'deal', entityId: d })).state)).toEqual(['Admin', 'rep1']);
    const r = await org.admin.api.patch(`/deals/${d}`, { ownerId: org.solo.id });
    expect(r.status).toBe(200);
    await rep.until((c) => c.other.find((m) => m.name === 'presence.state' && m.body.entityId === d && m.body.users.length === 0));
    await admin.until((c) => {
      const s = lastState(c);
      return s && s.entityId === d && names(s).join() === 'Admin';
    });
    // And cannot come back.
    expect(await rep.request('presence.join', { entityType: 'deal', entityId: d })).toMatchObject({ status: 404 });
  });

  it('lets every user of the tenant watch a pipeline, and nobody outside it', async () => {
    const rep2 = await open(a, org.rep2.token);
    const solo = await open(b, org.solo.token);
    await rep2.request('presence.join', { entityType: 'pipeline', entityId: org.pipelineId });
    const s = await solo.request('presence.join', { entityType: 'pipeline', entityId: org.pipelineId });
    expect(names(s.state)).toEqual(['rep2', 'solo']);
    const outsider = await createOrg(a.url, 'outsider');
    const o = await open(a, outsider.admin.token);
    expect(await o.request('presence.join', { entityType: 'pipeline', entityId: org.pipelineId })).toMatchObject({
      status: 404,
      error: { code: 'NOT_FOUND' },
    });
  });

  it('expires entries of a node that stopped refreshing them and tells the watchers', async () => {
    const admin = await open(a, org.admin.token);
    const key = `pulse:${new URL(db.url).pathname.slice(1)}:presence:${admin.ready!.tenantId}:deal:${dealId}`;
    const r = new Redis(REDIS_URL);
    const ghost = (exp: number) => JSON.stringify({ userId: '00000000-0000-4000-8000-0000000000aa', name: 'Ghost', exp });
    // An entry as a crashed node leaves it: nobody will refresh or remove it.
    await r.hset(key, 'ghost-socket', ghost(Date.now() + 3_600_000));
    const joined = await admin.request('presence.join', { entityType: 'deal', entityId: dealId });
    expect(names(joined.state)).toContain('Ghost');
    // Its time runs out (as if its node stopped its heartbeat); the next heartbeat here announces it.
    await r.hset(key, 'ghost-socket', ghost(Date.now() - 1));
    r.disconnect();
    const s = await admin.until((c) => {
      const st = lastState(c);
      return st && !names(st).includes('Ghost') && st;
    });
    expect(names(s)).toContain('Admin');
  });
});
