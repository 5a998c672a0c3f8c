import { beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { REDIS_URL } from '../helpers/db.js';
import { startNode, type TestNode } from '../helpers/server.js';
import { createOrg, type Org } from '../helpers/api.js';
import { useCluster, type Cluster } from '../helpers/cluster.js';
import { notesExtension } from '../../server/notes/index.js';
import { rows } from '../../server/db/sql.js';
import { clusterNoteClient, synced, until, sameState, rawSocket } from './helpers.js';

const opts = { recheckMs: 300, catchUpMs: 200, projectionDelayMs: 100, compactIdleMs: 500 };
const cluster = useCluster({ orgs: ['notes'], extensions: () => [notesExtension(opts)] });
let db: Cluster['db'];
let n1: TestNode;
let n2: TestNode;
let org: Org;
beforeAll(() => {
  ({ db, org } = cluster);
  [n1, n2] = cluster.nodes;
});
const client = clusterNoteClient(cluster);
const dealFor = async (who: { api: Org['admin']['api'] }, name = 'Deal') => {
  const r = await who.api.post('/deals', { name, pipelineId: org.pipelineId });
  expect(r.status).toBe(201);
  return r.body.id as string;
};
const noteRows = (doc: string) => rows(n1.pulse.wp.read(), 'select id from note_updates where doc = ?', [doc]);

describe('notes over the y-websocket protocol', () => {
  it('two clients on two nodes converge, and awareness crosses nodes with the real identity', async () => {
    const dealId = await dealFor(org.rep1);
    const a = client(n1.url, `deal:${dealId}`, org.rep1.token);
    const b = client(n2.url, `deal:${dealId}`, org.manager.token);
    await Promise.all([synced(a), synced(b)]);
    a.text.insert(0, 'hello ');
    b.text.insert(0, 'world ');
    for (let i = 0; i < 50; i++) (i % 2 ? a : b).text.insert(0, String(i % 10));
    await until(() => sameState(a.doc, b.doc) && a.text.length === 62, 'both documents to converge');
    expect(Buffer.from(Y.encodeStateVector(a.doc))).toEqual(Buffer.from(Y.encodeStateVector(b.doc)));
    expect(a.text.toString()).toBe(b.text.toString());
    expect(a.text.toString()).toContain('hello');
    expect(a.text.toString()).toContain('world');

    // The client claims to be someone else; the server pins its identity.
    a.provider.awareness.setLocalStateField('user', { id: 'someone-else', name: 'Mallory', color: '#ff0000' });
    await until(() => [...b.provider.awareness.getStates().values()].some((s: any) => s.user?.color === '#ff0000'), 'awareness on the other node');
    const seen = [...b.provider.awareness.getStates().values()].find((s: any) => s.user?.color === '#ff0000') as any;
    expect(seen.user).toEqual({ id: org.rep1.id, name: 'rep1', color: '#ff0000', colorLight: '#ff000033' });
  });

  it('stores every update in PostgreSQL; a fresh client on either node gets the full text', async () => {
    const dealId = await dealFor(org.rep1);
    const a = client(n1.url, `deal:${dealId}`, org.rep1.token);
    await synced(a);
    a.text.insert(0, 'durable text');
    await until(async () => (await noteRows(`deal:${dealId}`)).length > 0, 'the update to be logged');
    const c = client(n2.url, `deal:${dealId}`, org.admin.token);
    await synced(c);
    await until(() => c.text.toString() === 'durable text', 'the late joiner to see the text');
  });

  it('refuses unauthenticated clients (4401) and clients without access or with unknown docs (4404), before any sync', async () => {
    const dealId = await dealFor(org.rep1);
    const noToken = client(n1.url, `deal:${dealId}`, null);
    expect((await noToken.closed).code).toBe(4401);
    const badToken = client(n1.url, `deal:${dealId}`, 'not-a-token');
    expect((await badToken.closed).code).toBe(4401);
    const solo = client(n1.url, `deal:${dealId}`, org.solo.token);
    expect((await solo.closed).code).toBe(4404);
    const otherOrg = await createOrg(n1.url, 'other');
    const foreign = client(n1.url, `deal:${dealId}`, otherOrg.admin.token);
    expect((await foreign.closed).code).toBe(4404);
    const unknown = client(n1.url, 'deal:00000000-0000-4000-8000-000000000000', org.admin.token);
    expect((await unknown.closed).code).toBe(4404);
    const badName = client(n1.url, 'board:whatever', org.admin.token);
    expect((await badName.closed).code).toBe(4404);
    for (const c of [noToken, badToken, solo, foreign, unknown, badName]) expect(c.provider.synced).toBe(false);
    // The session cookie works in place of the token parameter.
    const cookie = client(n1.url, `deal:${dealId}`, null, { cookie: `pulse_session=${encodeURIComponent(org.rep1.token)}` });
    await synced(cookie);
    // ...but not from a page on another site (cross-site WebSocket hijacking); a token is fine from anywhere.
    const hijack = client(n1.url, `deal:${dealId}`, null, {
      cookie: `pulse_session=${encodeURIComponent(org.rep1.token)}`,
      origin: 'https://evil.example',
    });
    expect((await hijack.closed).code).toBe(4401);
    expect(hijack.provider.synced).toBe(false);
    const tokenElsewhere = client(n1.url, `deal:${dealId}`, org.rep1.token, { origin: 'https://evil.example' });
    await synced(tokenElsewhere);
  });

  it('gives READ shares a read-only session: told so, their edits dropped, awareness still relayed', async () => {
    const contact = await org.rep1.api.post('/contacts', { firstName: 'Ada', lastName: 'Reader' });
    expect(contact.status).toBe(201);
    const doc = `contact:${contact.body.id}`;
    expect((await org.rep1.api.post(`/contacts/${contact.body.id}/shares`, { userId: org.solo.id, permission: 'READ' })).status).toBe(201);
    const owner = client(n1.url, doc, org.rep1.token);
    await synced(owner);
    owner.text.insert(0, 'owner text');
    const reader = client(n2.url, doc, org.solo.token);
    await synced(reader);
    await until(() => reader.modes.includes('read-only'), 'the read-only notice');
    await until(() => reader.text.toString() === 'owner text', 'the reader to see the text');
    reader.text.insert(0, 'VANDAL ');
    reader.provider.awareness.setLocalStateField('user', { name: 'x', color: '#0f0' });
    await until(
      () => [...owner.provider.awareness.getStates().values()].some((s: any) => s.user?.id === org.solo.id),
      "the reader's cursor on the owner's side",
    );
    owner.text.insert(owner.text.length, '!');
    await until(() => reader.text.toString().endsWith('!'), 'a later owner edit to reach the reader');
    expect(owner.text.toString()).toBe('owner text!');
    const fresh = client(n1.url, doc, org.admin.token);
    await synced(fresh);
    await until(() => fresh.text.toString() === 'owner text!', 'a fresh client to see the stored text');
    expect(fresh.text.toString()).not.toContain('VANDAL');
  });

  it('closes the session of a user who lost access (4403) and downgrades WRITE to READ on a share change', async () => {
    const contact = await org.rep1.api.post('/contacts', { firstName: 'Bo', lastName: 'Shared' });
    const doc = `contact:${contact.body.id}`;
    await org.rep1.api.post(`/contacts/${contact.body.id}/shares`, { userId: org.solo.id, permission: 'WRITE' });
    const c = client(n2.url, doc, org.solo.token);
    await synced(c);
    expect(c.modes).toEqual([]);
    await org.rep1.api.post(`/contacts/${contact.body.id}/shares`, { userId: org.solo.id, permission: 'READ' });
    await until(() => c.modes.includes('read-only'), 'the downgrade notice');
    expect((await org.rep1.api.del(`/contacts/${contact.body.id}/shares/${org.solo.id}`)).status).toBeLessThan(300);
    expect((await c.closed).code).toBe(4403);

    // A deal handed to someone outside the rep's scope.
    const dealId = await dealFor(org.rep1);
    const d = client(n1.url, `deal:${dealId}`, org.rep1.token);
    await synced(d);
    expect((await org.admin.api.patch(`/deals/${dealId}`, { ownerId: org.solo.id })).status).toBe(200);
    expect((await d.closed).code).toBe(4403);
  });

  it('re-checks access at once on a feed event', async () => {
    // A long periodic re-check, so only the feed can explain the close.
    const n3 = await startNode({ databaseUrl: db.url, redisUrl: REDIS_URL, extensions: () => [notesExtension({ ...opts, recheckMs: 600_000 })] });
    try {
      const dealId = await dealFor(org.rep1);
      await org.manager.api.patch(`/deals/${dealId}`, { ownerId: org.rep2.id });
      const rep1Session = client(n3.url, `deal:${dealId}`, org.rep1.token);
      expect((await rep1Session.closed).code).toBe(4404);
      const d = client(n3.url, `deal:${dealId}`, org.rep2.token);
      await synced(d);
      // What the live-event layer does between nodes: commits on n1 reach n3's feed.
      const unsub = n1.pulse.wp.onCommit((events) => {
        for (const e of events) n3.pulse.feed.emit(e);
      });
      await org.admin.api.patch(`/deals/${dealId}`, { ownerId: org.solo.id });
      expect((await d.closed).code).toBe(4403);
      unsub();
    } finally {
      await n3.close();
    }
  });

  it('projects the note text onto the deal (debounced), without bumping its version', async () => {
    const dealId = await dealFor(org.rep1);
    const before = (await org.rep1.api.get(`/deals/${dealId}`)).body;
    const a = client(n1.url, `deal:${dealId}`, org.rep1.token);
    await synced(a);
    for (const ch of 'Call back on Monday') a.text.insert(a.text.length, ch);
    await until(async () => (await org.rep1.api.get(`/deals/${dealId}`)).body.notePreview === 'Call back on Monday', 'the preview');
    const after = (await org.rep1.api.get(`/deals/${dealId}`)).body;
    expect(after.version).toBe(before.version);
    const events = await rows(n1.pulse.wp.read(), `select count(*)::int as n from outbox_events where entity_id = ? and type = 'deal.updated'`, [
      dealId,
    ]);
    // Debounced: a handful of events at most, never one per keystroke.
    expect(events[0].n).toBeGreaterThan(0);
    expect(events[0].n).toBeLessThan(19);
  });

  it('converges across nodes through PostgreSQL alone when a node has no Redis', async () => {
    const lonely = await startNode({ databaseUrl: db.url, redisUrl: 'redis://127.0.0.1:1', extensions: () => [notesExtension(opts)] });
    try {
      const dealId = await dealFor(org.rep1);
      const a = client(n1.url, `deal:${dealId}`, org.rep1.token);
      const b = client(lonely.url, `deal:${dealId}`, org.rep1.token);
      await Promise.all([synced(a), synced(b)]);
      a.text.insert(0, 'from n1 ');
      b.text.insert(0, 'from lonely ');
      await until(() => sameState(a.doc, b.doc) && a.text.length === 20, 'convergence without the bus');
      b.destroy();
    } finally {
      await lonely.close();
    }
  });

  it('compacts the log into a snapshot when the last client leaves, and unloads the doc', async () => {
    const dealId = await dealFor(org.rep1);
    const doc = `deal:${dealId}`;
    const a = client(n1.url, doc, org.rep1.token);
    await synced(a);
    for (let i = 0; i < 30; i++) a.text.insert(i, 'x');
    a.text.delete(0, 10);
    await until(async () => (await noteRows(doc)).length > 0, 'updates in the log');
    a.destroy();
    await until(async () => (await noteRows(doc)).length === 0, 'the log to be folded');
    const notes = (n1.pulse.extensions.find((e) => e.name === 'notes') as ReturnType<typeof notesExtension>).server()!;
    await until(() => !notes.isLoaded(doc), 'the doc to be unloaded');
    const snap = await rows(n1.pulse.wp.read(), 'select state from note_snapshots where doc = ?', [doc]);
    const check = new Y.Doc();
    Y.applyUpdate(check, new Uint8Array(snap[0].state));
    expect(check.getText('note').toString()).toBe('x'.repeat(20));
    const again = client(n2.url, doc, org.rep1.token);
    await synced(again);
    await until(() => again.text.toString() === 'x'.repeat(20), 'the text from the snapshot');
  });

  it('two nodes compacting the same doc while both edit lose nothing', async () => {
    const eager = { ...opts, compactMinBytes: 64, compactIdleMs: 100, catchUpMs: 100 };
    const c1 = await startNode({ databaseUrl: db.url, redisUrl: REDIS_URL, extensions: () => [notesExtension(eager)] });
    const c2 = await startNode({ databaseUrl: db.url, redisUrl: REDIS_URL, extensions: () => [notesExtension(eager)] });
    try {
      const dealId = await dealFor(org.rep1);
      const doc = `deal:${dealId}`;
      const a = client(c1.url, doc, org.rep1.token);
      const b = client(c2.url, doc, org.manager.token);
      await Promise.all([synced(a), synced(b)]);
      for (let i = 0; i < 400; i++) {
        const c = i % 2 ? a : b;
        c.text.insert(Math.floor(Math.random() * (c.text.length + 1)), String.fromCharCode(97 + (i % 26)));
        // Deletes from one client only, so no two deletes can hit the same character.
        if (i % 5 === 4) a.text.delete(0, 1);
        if (i % 40 === 0) await new Promise((r) => setTimeout(r, 30));
      }
      await until(() => sameState(a.doc, b.doc) && a.text.length === 320, 'convergence');
      // What PostgreSQL holds (snapshot + remaining log) is exactly the converged document.
      await until(async () => {
        const em = c1.pulse.wp.read();
        const snap = await rows(em, 'select state from note_snapshots where doc = ?', [doc]);
        const log = await rows(em, 'select update from note_updates where doc = ? order by id', [doc]);
        const check = new Y.Doc();
        for (const r of [...snap.map((x) => x.state), ...log.map((x) => x.update)]) Y.applyUpdate(check, new Uint8Array(r));
        return snap.length === 1 && check.getText('note').toString() === a.text.toString();
      }, 'the stored state to match');
      const compactions = [c1, c2].map((n) => (n.pulse.extensions[0] as ReturnType<typeof notesExtension>).server()!.stats().compactions.runs);
      expect(compactions[0]).toBeGreaterThan(0);
      expect(compactions[1]).toBeGreaterThan(0);
      a.destroy();
      b.destroy();
    } finally {
      await c1.close();
      await c2.close();
    }
  });

  it('closes sessions and drops the note when the deal is deleted', async () => {
    const dealId = await dealFor(org.rep1);
    const doc = `deal:${dealId}`;
    const a = client(n1.url, doc, org.rep1.token);
    await synced(a);
    a.text.insert(0, 'soon gone');
    await until(async () => (await noteRows(doc)).length > 0, 'the update to be logged');
    const unsub = n1.pulse.wp.onCommit((events) => {
      for (const e of events) n1.pulse.feed.emit(e);
    });
    try {
      expect((await org.rep1.api.del(`/deals/${dealId}`)).status).toBeLessThan(300);
      expect((await a.closed).code).toBe(4403);
      await until(
        async () =>
          (await noteRows(doc)).length === 0 && (await rows(n1.pulse.wp.read(), 'select 1 from note_snapshots where doc = ?', [doc])).length === 0,
        'the note to be dropped',
      );
    } finally {
      unsub();
    }
  });

  it('closes a socket that sends a malformed message (4400) and stores nothing from it', async () => {
    const dealId = await dealFor(org.rep1);
    const doc = `deal:${dealId}`;
    const s = await rawSocket(n1.url, `/yjs/${doc}?token=${org.rep1.token}`);
    s.ws.send(Buffer.from([0, 2, 5, 1, 2, 3]));
    expect((await s.closed).code).toBe(4400);
    const t = await rawSocket(n1.url, `/yjs/${doc}?token=${org.rep1.token}`);
    t.ws.send(Buffer.from([9, 9, 9]));
    expect((await t.closed).code).toBe(4400);
    // A well-formed envelope around an update that is not a Yjs update.
    const u = await rawSocket(n1.url, `/yjs/${doc}?token=${org.rep1.token}`);
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 0);
    encoding.writeVarUint(e, 2);
    encoding.writeVarUint8Array(e, new Uint8Array([200, 1, 7, 7, 7, 255, 255]));
    u.ws.send(encoding.toUint8Array(e));
    expect((await u.closed).code).toBe(4400);
    expect(await noteRows(doc)).toEqual([]);
  });
});
