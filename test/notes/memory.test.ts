import v8 from 'node:v8';
import vm from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestNode } from '../helpers/server.js';
import type { Org } from '../helpers/api.js';
import { useCluster } from '../helpers/cluster.js';
import { notesExtension } from '../../server/notes/index.js';
import { rows, run } from '../../server/db/sql.js';
import { noteClient, synced, until } from './helpers.js';

v8.setFlagsFromString('--expose-gc');
// Each stock y-websocket provider registers a process 'exit' listener; 25 run at once here.
process.setMaxListeners(100);
const gc: () => void = vm.runInNewContext('gc');

const ext = notesExtension({ catchUpMs: 500 });
const cluster = useCluster({ nodes: 1, orgs: ['mem'], extensions: () => [ext] });
let node: TestNode;
let org: Org;
beforeAll(() => {
  ({ org } = cluster);
  [node] = cluster.nodes;
});

async function settle(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  return process.memoryUsage().heapUsed;
}

describe('memory', () => {
  it('1,000 documents opened, edited and closed leave no doc loaded and the heap flat', async () => {
    const em = node.pulse.wp.read();
    const stage = org.stages[0].id;
    const tenantId = (await rows(em, 'select tenant_id from users where id = ?', [org.rep1.id]))[0].tenant_id;
    await run(
      em,
      `insert into deals (id, tenant_id, name, owner_id, pipeline_id, stage_id, status)
      select gen_random_uuid(), ?, 'm' || g, ?, ?, ?, 'OPEN' from generate_series(1, 1100) g`,
      [tenantId, org.rep1.id, org.pipelineId, stage],
    );
    const ids = (await rows<{ id: string }>(em, 'select id from deals where owner_id = ? order by name', [org.rep1.id])).map((r) => r.id);
    expect(ids.length).toBe(1100);
    const notes = ext.server()!;

    const cycle = async (id: string) => {
      const c = noteClient(node.url, `deal:${id}`, org.rep1.token);
      await synced(c);
      c.text.insert(0, 'note ' + id);
      // Sent before the close frame; the snapshot count below shows every edit arrived.
      c.destroy();
    };
    const batch = async (list: string[]) => {
      for (let i = 0; i < list.length; i += 25) await Promise.all(list.slice(i, i + 25).map(cycle));
      await until(() => notes.stats().docs === 0 && notes.stats().sockets === 0, 'every doc to unload', 30_000);
    };

    await batch(ids.slice(0, 100)); // warm-up: code paths, pools, caches
    const before = await settle();
    await batch(ids.slice(100));
    const after = await settle();
    const stats = notes.stats();
    expect(stats).toMatchObject({ docs: 0, sessions: 0, sockets: 0, subscriptions: 0 });
    // A leaked Y.Doc, awareness or session per document would be tens of KB each: 1,000 of them show.
    expect(after - before).toBeLessThan(8 * 1024 * 1024);
    // Every doc was compacted into a snapshot on unload.
    const snaps = await rows(em, `select count(*)::int as n from note_snapshots where doc like 'deal:%'`);
    expect(snaps[0].n).toBe(1100);
    console.log(`notes memory: heapUsed before ${(before / 1048576).toFixed(1)} MB, after 1,000 docs ${(after / 1048576).toFixed(1)} MB`);
  });
});
