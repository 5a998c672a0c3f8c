import { beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { TestNode } from '../helpers/server.js';
import type { Org } from '../helpers/api.js';
import { useCluster, type Cluster } from '../helpers/cluster.js';
import { realtimeExtension } from '../../server/realtime/realtime.extension.js';
import { connect, type LiveClient } from './live-client.js';

const cluster = useCluster({ nodes: 1, orgs: ['replay'], extensions: () => [realtimeExtension({ maxReplay: 5, maxReplaySpan: 6 })] });
let db: Cluster['db'];
let node: TestNode;
let org: Org;
const clients: LiveClient[] = cluster.clients;
beforeAll(() => {
  ({
    db,
    nodes: [node],
    org,
  } = cluster);
});

const open = async (auth: Record<string, unknown>) => {
  const c = await connect(node.url, auth);
  clients.push(c);
  return c;
};
const deal = async (who: Org['rep1'], name: string) => {
  const r = await who.api.post('/deals', { name, pipelineId: org.pipelineId });
  expect(r.status).toBe(201);
  return r.body.id as string;
};

describe('replay on reconnect', () => {
  it('sends exactly the missed events the user may see, in order, before live ones', async () => {
    const first = await open({ token: org.rep1.token });
    const mine0 = await deal(org.rep1, 'seen live');
    await first.untilEvent((e) => e.data.id === mine0);
    const lastSeq = Math.max(first.ready!.seq, ...first.seqs);
    first.close();

    const m1 = await deal(org.rep1, 'missed 1');
    const theirs = await deal(org.rep2, 'not mine');
    const m2 = await deal(org.rep1, 'missed 2');

    const again = await open({ token: org.rep1.token, lastSeq });
    // Replayed history arrives before session.ready.
    expect(again.events.map((e) => e.data.id)).toEqual([m1, m2]);
    expect(again.events.some((e) => e.data.id === theirs)).toBe(false);
    expect(again.ready!.seq).toBeGreaterThanOrEqual(again.events[1].seq);
    const live = await deal(org.rep1, 'live after');
    await again.untilEvent((e) => e.data.id === live);
    expect(again.events.map((e) => e.data.id)).toEqual([m1, m2, live]);
  });

  it('replays on request mid-session and acknowledges with the count', async () => {
    const c = await open({ token: org.manager.token });
    const start = c.ready!.seq;
    const d1 = await deal(org.rep1, 'mgr sees 1');
    const d2 = await deal(org.rep2, 'mgr sees 2');
    await c.untilEvent((e) => e.data.id === d2);
    const r = await c.request('events.replay', { since: start });
    expect(r).toMatchObject({ ok: true, replayed: 2 });
    expect(c.events.map((e) => e.data.id)).toEqual([d1, d2, d1, d2]);
  });

  it('asks for a resync when too far behind, from the future, or past retention', async () => {
    const base = (await open({ token: org.admin.token })).ready!.seq;
    for (let i = 0; i < 6; i++) await deal(org.rep1, `bulk ${i}`);
    const far = await open({ token: org.admin.token, lastSeq: base });
    expect(far.events).toEqual([]);
    expect(far.other.find((m) => m.name === 'resync.required')?.body).toMatchObject({ reason: 'too_far_behind' });
    // The stream carries on live from where session.ready says.
    const next = await deal(org.rep1, 'after resync');
    await far.untilEvent((e) => e.data.id === next);

    // A rep sees few of the tenant's events, but a replay that spans too many of them is refused as well.
    const wide = await open({ token: org.solo.token, lastSeq: base });
    expect(wide.other.find((m) => m.name === 'resync.required')?.body).toMatchObject({ reason: 'too_far_behind' });

    const future = await open({ token: org.admin.token, lastSeq: 1_000_000 });
    expect(future.other.find((m) => m.name === 'resync.required')?.body).toMatchObject({ reason: 'unknown_seq' });

    // Retention: what the pruner leaves behind is what an old client finds missing.
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const del = await c.query('delete from outbox_events where tenant_id = (select tenant_id from users where id = $1) and seq <= $2', [
      org.admin.id,
      base + 1,
    ]);
    expect(del.rowCount).toBe(base + 1);
    await c.end();
    const old = await open({ token: org.admin.token, lastSeq: base });
    expect(old.other.find((m) => m.name === 'resync.required')?.body).toMatchObject({ reason: 'expired' });
    const ok = await open({ token: org.admin.token, lastSeq: base + 3 });
    expect(ok.other.some((m) => m.name === 'resync.required')).toBe(false);
    expect(ok.events.length).toBeGreaterThan(0);
  });
});
