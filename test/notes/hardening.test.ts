// Issue 8, defects 2, 8 and 9: what a hostile or broken client can do to a note, and what a bad stored row does.
import { beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import * as Y from 'yjs';
import type { TestNode } from '../helpers/server.js';
import { Api, type Org } from '../helpers/api.js';
import { useCluster, type Cluster } from '../helpers/cluster.js';
import { notesExtension } from '../../server/notes/index.js';
import { rows } from '../../server/db/sql.js';
import { colorFor } from '../../shared/user-color.js';
import { clusterNoteClient, synced, until, rawSocket } from './helpers.js';
import { poisonedUpdate, updateFrame, awarenessFrame } from './poison.js';

const opts = { recheckMs: 300, catchUpMs: 200, projectionDelayMs: 100, compactIdleMs: 500 };
const cluster = useCluster({ orgs: ['hard'], extensions: () => [notesExtension(opts)] });
let db: Cluster['db'];
let n1: TestNode;
let n2: TestNode;
let org: Org;
let tenantId: string;
beforeAll(() => {
  ({ db, org } = cluster);
  [n1, n2] = cluster.nodes;
  tenantId = org.tenantId;
});
const ext = (n: TestNode) => (n.pulse.extensions.find((e) => e.name === 'notes') as ReturnType<typeof notesExtension>).server()!;
const client = clusterNoteClient(cluster);
const newDeal = async () => {
  const r = await org.rep1.api.post('/deals', { name: 'Hardening', pipelineId: org.pipelineId });
  expect(r.status).toBe(201);
  return `deal:${r.body.id}`;
};
const logRows = (doc: string) => rows<{ id: string }>(n1.pulse.wp.read(), 'select id from note_updates where doc = ? order by id', [doc]);
/** The close code, or 'open' if the socket is still open after `ms` (the old code never closed). */
const closedWithin = (closed: Promise<{ code: number }>, ms = 3000) =>
  Promise.race([closed.then((c) => c.code), new Promise<'open'>((r) => setTimeout(() => r('open'), ms))]);

describe('a poisoned Yjs update (defect 2)', () => {
  it('from a live client is refused with 4400 and never stored; the note stays intact on both nodes', async () => {
    const doc = await newDeal();
    const a = client(n1.url, doc, org.rep1.token);
    await synced(a);
    a.text.insert(0, 'intact');
    await until(async () => (await logRows(doc)).length === 1, 'the good edit to be logged');
    const refusedBefore = ext(n1).stats().refused;

    const s = await rawSocket(n1.url, `/yjs/${doc}?token=${org.rep1.token}`);
    s.ws.send(updateFrame(poisonedUpdate(987654)));
    expect(await closedWithin(s.closed)).toBe(4400);
    expect((await logRows(doc)).length).toBe(1);
    expect(ext(n1).stats().refused).toBe(refusedBefore + 1);

    // The writer goes on, and a client on the other node loads the note as it was.
    a.text.insert(a.text.length, '!');
    const b = client(n2.url, doc, org.manager.token);
    await synced(b);
    await until(() => b.text.toString() === 'intact!', 'the other node to serve the intact note');
    a.destroy();
    b.destroy();
    // After both nodes let go, the note loads from PostgreSQL alone.
    await until(() => !ext(n1).isLoaded(doc) && !ext(n2).isLoaded(doc), 'both nodes to unload');
    const c = client(n2.url, doc, org.rep1.token);
    await synced(c);
    expect(c.text.toString()).toBe('intact!');
    c.destroy();
  });

  it('stored in note_updates (by anything) is quarantined at load: the note loads with the good rows, health counts it', async () => {
    const doc = await newDeal();
    const a = client(n1.url, doc, org.rep1.token);
    await synced(a);
    a.text.insert(0, 'good content');
    await until(async () => (await logRows(doc)).length === 1, 'the edit to be logged');
    a.destroy();
    await until(() => !ext(n1).isLoaded(doc), 'the doc to unload');
    // A poisoned row, then a good one after it (an independent client's insert).
    const later = new Y.Doc();
    later.getText('later').insert(0, 'after');
    const [badId] = await ext(n1).store.append(tenantId, doc, [poisonedUpdate(424242)]);
    await ext(n1).store.append(tenantId, doc, [Y.encodeStateAsUpdate(later)]);

    const b = client(n2.url, doc, org.manager.token);
    const loaded = await Promise.race([
      synced(b).then(() => 'synced'),
      b.closed.then((c) => `closed ${c.code}`),
      new Promise((r) => setTimeout(() => r('timeout'), 5000)),
    ]);
    expect(loaded).toBe('synced');
    expect(b.text.toString()).toBe('good content');
    expect(b.doc.getText('later').toString()).toBe('after');
    const q = await rows(n1.pulse.wp.read(), 'select id, doc, reason from note_updates_quarantine where doc = ?', [doc]);
    expect(q.map((r) => Number(r.id))).toEqual([badId]);
    expect(q[0].reason).toMatch(/own client/);
    expect((await logRows(doc)).map((r) => Number(r.id))).not.toContain(badId);
    expect(ext(n2).stats().quarantined).toBeGreaterThanOrEqual(1);
    const health = (await new Api(n2.url).get('/health')).body;
    expect(health.notes.quarantine.stored).toBeGreaterThanOrEqual(1);
    // Edits go on as usual, and the other node loads it too.
    b.text.insert(b.text.length, '.');
    const c = client(n1.url, doc, org.rep1.token);
    await synced(c);
    await until(() => c.text.toString() === 'good content.', 'the other node to load it');
  });
});

describe('awareness from a peer (defect 8)', () => {
  it("is pinned before it is relayed: a CSS payload in color never reaches another viewer's state", async () => {
    const doc = await newDeal();
    const here = client(n1.url, doc, org.manager.token);
    const there = client(n2.url, doc, org.admin.token);
    await Promise.all([synced(here), synced(there)]);
    const s = await rawSocket(n1.url, `/yjs/${doc}?token=${org.rep1.token}`);
    const evil = 'red;background:url(http://x)';
    s.ws.send(
      awarenessFrame(31337, 1, {
        user: { id: 'mallory', name: '<img src=x onerror=alert(1)>', color: evil, colorLight: evil, extra: 'x' },
        tracking: 'y'.repeat(100),
      }),
    );
    const safe = colorFor(org.rep1.id);
    for (const c of [here, there]) {
      await until(() => c.provider.awareness.getStates().has(31337), 'the state to be relayed');
      expect(c.provider.awareness.getStates().get(31337)).toEqual({ user: { id: org.rep1.id, name: 'rep1', color: safe, colorLight: safe + '33' } });
    }
    // A plain #rrggbb colour is kept.
    s.ws.send(
      awarenessFrame(31337, 2, {
        user: { color: '#00aa11' },
        cursor: { anchor: { type: null, tname: 'note', item: null, assoc: 0 }, head: { type: null, tname: 'note', item: null, assoc: 0 } },
      }),
    );
    await until(() => (there.provider.awareness.getStates().get(31337) as any)?.user?.color === '#00aa11', 'the safe colour');
    expect((there.provider.awareness.getStates().get(31337) as any).cursor.anchor.tname).toBe('note');
    s.ws.close();
  });
});

describe('the pre-auth queue (defect 9)', () => {
  it('closes with 4413 a client that sends more than 8 MiB before it is admitted', async () => {
    const doc = await newDeal();
    // Loading the doc waits on this lock, so the socket stays un-admitted while it sends.
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    await locker.query('begin');
    await locker.query('lock table note_snapshots in access exclusive mode');
    try {
      const s = await rawSocket(n1.url, `/yjs/${doc}?token=${org.rep1.token}`);
      const chunk = updateFrame(new Uint8Array(3 * 1024 * 1024));
      for (let i = 0; i < 3; i++) s.ws.send(chunk);
      expect(await closedWithin(s.closed, 5000)).toBe(4413);
    } finally {
      await locker.query('rollback');
      await locker.end();
    }
    // Nothing from it was stored, and a normal client gets in.
    const c = client(n1.url, doc, org.rep1.token);
    await synced(c);
    expect((await logRows(doc)).length).toBe(0);
  });
});
