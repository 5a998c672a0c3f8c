import { beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { TestNode } from '../helpers/server.js';
import type { Org } from '../helpers/api.js';
import { useCluster, type Cluster } from '../helpers/cluster.js';
import { realtimeExtension } from '../../server/realtime/realtime.extension.js';
import { connect, type LiveClient } from './live-client.js';

// One node without Redis (the in-process bus, as on the embedded default), with a very short replay window.
const cluster = useCluster({
  nodes: 1,
  redis: false,
  orgs: ['local'],
  env: { EVENT_RETENTION_HOURS: String(1 / 3600) }, // one second
  extensions: () => [realtimeExtension({ redisUrl: null, tickMs: 100, pruneEveryMs: 100 })],
});
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
const outboxCount = async () => {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  const r = await c.query('select count(*)::int as n from outbox_events');
  await c.end();
  return r.rows[0].n as number;
};

describe('without Redis', () => {
  it('delivers and keeps presence on the in-process bus, and reports it in health', async () => {
    const mgr = await open({ token: org.manager.token });
    const rep = await open({ token: org.rep1.token });
    const d = (await org.rep1.api.post('/deals', { name: 'local', pipelineId: org.pipelineId })).body.id;
    await mgr.untilEvent((e) => e.data.id === d);
    await rep.untilEvent((e) => e.data.id === d);
    await rep.request('presence.join', { entityType: 'deal', entityId: d });
    const s = await mgr.request('presence.join', { entityType: 'deal', entityId: d });
    expect(s.state.users.map((u: any) => u.name)).toEqual(['manager', 'rep1']);
    const h = await org.api.get('/health');
    expect(h.body.status).toBe('ok');
    expect(h.body.realtime).toMatchObject({ bus: 'local', connected: true });
  });

  it('prunes events past the retention window, and a client that far behind is told to resync', async () => {
    const c = await open({ token: org.rep1.token });
    const since = c.ready!.seq;
    c.close();
    const d = (await org.rep1.api.post('/deals', { name: 'soon forgotten', pipelineId: org.pipelineId })).body.id;
    expect(d).toBeTruthy();
    // The pruner runs on its own; wait until it has emptied the outbox.
    for (;;) {
      if ((await outboxCount()) === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const late = await open({ token: org.rep1.token, lastSeq: since });
    expect(late.events).toEqual([]);
    expect(late.other.find((m) => m.name === 'resync.required')?.body).toMatchObject({ reason: 'expired' });
    expect(late.ready!.seq).toBeGreaterThan(since);
  });
});
