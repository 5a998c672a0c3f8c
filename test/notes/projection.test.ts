// Issue 8, defect 3: the deal's notePreview must not stay stale when the node that took the edits dies
// before its projection fired. Every node holding the doc projects what it applied (from the bus or from
// catch-up), and the last one to unload it writes it.
import { beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL } from '../helpers/db.js';
import { createOrg, type Org } from '../helpers/api.js';
import { startNode } from '../helpers/server.js';
import { useCluster, type Cluster } from '../helpers/cluster.js';
import { notesExtension } from '../../server/notes/index.js';
import { clusterNoteClient, synced, until } from './helpers.js';
import { spawnNode, type ChildNode } from './spawn-node.js';

// Only the database is shared: each test starts its own nodes (pushed to `nodes`, closed at teardown).
const cluster = useCluster({ nodes: 0, orgs: [] });
let db: Cluster['db'];
beforeAll(() => ({ db } = cluster));
let org: Org;
const children: ChildNode[] = [];
const nodes = cluster.nodes;
cluster.teardown.push(async () => {
  for (const c of children) await c.kill();
});
// Node A never gets to project on its own: its timer is far away when it is killed.
const spawnA = async () => {
  const a = await spawnNode({ DATABASE_URL: db.url, REDIS_URL, NOTES_OPTS: JSON.stringify({ catchUpMs: 200, projectionDelayMs: 600_000 }) });
  children.push(a);
  return a;
};
const client = clusterNoteClient(cluster);

describe('notePreview after the editing node is killed', () => {
  it('is written by the other node holding the doc, from updates it got over the bus', async () => {
    const a = await spawnA();
    const b = await startNode({
      databaseUrl: db.url,
      redisUrl: REDIS_URL,
      extensions: () => [notesExtension({ catchUpMs: 200, projectionDelayMs: 200 })],
    });
    nodes.push(b);
    org = await createOrg(b.url, 'proj');
    const deal = await org.rep1.api.post('/deals', { name: 'Preview', pipelineId: org.pipelineId });
    const doc = `deal:${deal.body.id}`;
    const writer = client(a.url, doc, org.rep1.token);
    const watcher = client(b.url, doc, org.manager.token);
    await Promise.all([synced(writer), synced(watcher)]);
    for (const ch of 'Send the contract') writer.text.insert(writer.text.length, ch);
    await until(() => watcher.text.toString() === 'Send the contract', 'node B to have the text');
    await a.kill('SIGKILL');
    writer.destroy();
    await until(
      async () => (await org.manager.api.get(`/deals/${deal.body.id}`)).body.notePreview === 'Send the contract',
      'the preview from node B',
      10_000,
    );
  });

  it('is written by the last node out, from rows it read in catch-up (no Redis on that node)', async () => {
    const a = await spawnA();
    // No Redis and no timer of its own that fires in time: only the unload of the last client can write it.
    const c = await startNode({
      databaseUrl: db.url,
      redisUrl: 'redis://127.0.0.1:1',
      extensions: () => [notesExtension({ catchUpMs: 200, projectionDelayMs: 600_000 })],
    });
    nodes.push(c);
    const deal = await org.rep1.api.post('/deals', { name: 'Preview 2', pipelineId: org.pipelineId });
    const doc = `deal:${deal.body.id}`;
    const writer = client(a.url, doc, org.rep1.token);
    const watcher = client(c.url, doc, org.manager.token);
    await Promise.all([synced(writer), synced(watcher)]);
    writer.text.insert(0, 'Renewal in March');
    await until(() => watcher.text.toString() === 'Renewal in March', 'node C to catch up');
    await a.kill('SIGKILL');
    writer.destroy();
    expect((await org.manager.api.get(`/deals/${deal.body.id}`)).body.notePreview).toBeNull();
    watcher.destroy();
    await until(
      async () => (await org.manager.api.get(`/deals/${deal.body.id}`)).body.notePreview === 'Renewal in March',
      'the preview from the last node out',
      10_000,
    );
  });
});
