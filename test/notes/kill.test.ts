import { beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL } from '../helpers/db.js';
import { createOrg } from '../helpers/api.js';
import { useCluster, type Cluster } from '../helpers/cluster.js';
import { noteClient, synced, until } from './helpers.js';
import { spawnNode, type ChildNode } from './spawn-node.js';

// Only the database is shared: the nodes are child processes, killed at teardown.
const cluster = useCluster({ nodes: 0, orgs: [] });
let db: Cluster['db'];
beforeAll(() => ({ db } = cluster));
const nodes: ChildNode[] = [];
cluster.teardown.push(async () => {
  for (const n of nodes) await n.kill();
});
const env = () => ({ DATABASE_URL: db.url, REDIS_URL, NOTES_OPTS: JSON.stringify({ catchUpMs: 200, compactMinBytes: 300 }) });

describe('a node killed with SIGKILL', () => {
  it('loses no edit that reached it: a restarted node serves the full text', async () => {
    const a = await spawnNode(env());
    nodes.push(a);
    const org = await createOrg(a.url, 'kill');
    const deal = await org.rep1.api.post('/deals', { name: 'Kill me', pipelineId: org.pipelineId });
    const doc = `deal:${deal.body.id}`;
    const writer = noteClient(a.url, doc, org.rep1.token);
    const watcher = noteClient(a.url, doc, org.manager.token);
    await Promise.all([synced(writer), synced(watcher)]);
    // Single-character edits, one update each; compaction runs along the way (every few hundred bytes).
    let expected = '';
    for (let i = 0; i < 300; i++) {
      const ch = String.fromCharCode(97 + (i % 26));
      writer.text.insert(writer.text.length, ch);
      expected += ch;
      if (i % 7 === 3) {
        writer.text.delete(0, 1);
        expected = expected.slice(1);
      }
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    // The watcher sees what the server applied, and the server applies only what it has stored.
    await until(() => watcher.text.toString() === expected, 'the watcher to see every edit');
    await a.kill('SIGKILL');
    // The clients must not heal the server by resending their state: they are gone too.
    writer.destroy();
    watcher.destroy();

    const b = await spawnNode(env());
    nodes.push(b);
    const fresh = noteClient(b.url, doc, org.admin.token);
    await synced(fresh);
    expect(fresh.text.toString()).toBe(expected);
    fresh.destroy();
  });
});
