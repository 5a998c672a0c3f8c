import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { checkUpdate, stateOf } from '../../server/notes/update-check.js';
import { feedAction } from '../../server/notes/access.js';
import { PreAuthQueue } from '../../server/notes/handshake.js';
import { buildDoc } from '../../server/notes/doc-lifecycle.js';
import { parseDocName } from '../../server/notes/doc-name.js';
import { poisonedUpdate } from './poison.js';

// A seeded generator: a failure here reproduces.
let seed = 42;
const rnd = (n: number) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};

function editedDoc(): Y.Doc {
  const docs = [1, 2, 3].map((id) => {
    const d = new Y.Doc();
    d.clientID = id;
    return d;
  });
  for (let i = 0; i < 60; i++) {
    const d = docs[rnd(3)];
    const t = d.getText('note');
    if (t.length && rnd(4) === 0) t.delete(rnd(t.length), 1);
    else t.insert(rnd(t.length + 1), 'ab'.slice(0, 1 + rnd(2)));
    if (rnd(10) === 0) d.getMap('m').set('k' + rnd(3), new Y.Text('x'));
    if (rnd(5) === 0) {
      const a = docs[rnd(3)],
        b = docs[rnd(3)];
      Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
    }
  }
  for (const a of docs) for (const b of docs) Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
  return docs[0];
}

/** Random items (strings, deletions, types) with random origins, parents and deletions, valid or not. */
function randomUpdate(d: Y.Doc): Uint8Array {
  const e = encoding.createEncoder();
  const clients = [1, 2, 3, 9];
  const client = clients[rnd(4)];
  const st = Y.getState(d.store, client);
  const clock = rnd(3) === 0 ? st + rnd(3) : Math.max(0, st - rnd(3));
  const n = 1 + rnd(3);
  encoding.writeVarUint(e, 1);
  encoding.writeVarUint(e, n);
  encoding.writeVarUint(e, client);
  encoding.writeVarUint(e, clock);
  const ref = () => {
    const c = clients[rnd(4)];
    const s = Y.getState(d.store, c);
    return [c, rnd(3) === 0 ? s + rnd(4) : rnd(Math.max(1, s + 2))];
  };
  for (let i = 0; i < n; i++) {
    const hasO = rnd(2) === 0,
      hasR = rnd(2) === 0;
    const content = [4, 4, 4, 1, 7][rnd(5)];
    encoding.writeUint8(e, content | (hasO ? 0x80 : 0) | (hasR ? 0x40 : 0));
    if (hasO) for (const x of ref()) encoding.writeVarUint(e, x);
    if (hasR) for (const x of ref()) encoding.writeVarUint(e, x);
    if (!hasO && !hasR) {
      if (rnd(2) === 0) {
        encoding.writeVarUint(e, 1);
        encoding.writeVarString(e, ['note', 'm'][rnd(2)]);
      } else {
        encoding.writeVarUint(e, 0);
        for (const x of ref()) encoding.writeVarUint(e, x);
      }
    }
    if (content === 4) encoding.writeVarString(e, 'Z');
    else if (content === 1) encoding.writeVarUint(e, 1);
    else encoding.writeVarUint(e, 2);
  }
  const nd = rnd(2);
  encoding.writeVarUint(e, nd);
  for (let i = 0; i < nd; i++) {
    encoding.writeVarUint(e, clients[rnd(4)]);
    encoding.writeVarUint(e, 1);
    encoding.writeVarUint(e, rnd(40));
    encoding.writeVarUint(e, 1 + rnd(3));
  }
  return encoding.toUint8Array(e);
}

describe('checking a Yjs update before it is stored', () => {
  it('flags the poisoned update (a forward origin in its own client) that makes Yjs throw', () => {
    const doc = new Y.Doc();
    doc.getText('note').insert(0, 'hello');
    const bad = poisonedUpdate(7);
    expect(() => Y.applyUpdate(new Y.Doc(), bad)).toThrow();
    expect(checkUpdate(bad, stateOf(doc)).kind).toBe('fatal');
    expect(checkUpdate(new Uint8Array([200, 1, 7, 7, 7, 255, 255])).kind).toBe('fatal');
    expect(checkUpdate(new Uint8Array([0, 0])).kind).toBe('empty');
  });

  it('agrees with Yjs on 6,000 random updates: "ok" never throws nor leaves anything pending, "incomplete" always does', () => {
    const tally = { ok: 0, incomplete: 0, fatal: 0 };
    for (let round = 0; round < 200; round++) {
      const base = editedDoc();
      const state = Y.encodeStateAsUpdate(base);
      for (let j = 0; j < 30; j++) {
        const u = randomUpdate(base);
        const v = checkUpdate(u, stateOf(base));
        tally[v.kind as keyof typeof tally]++;
        if (v.kind === 'fatal' || v.kind === 'empty') continue;
        const trial = new Y.Doc();
        Y.applyUpdate(trial, state);
        expect(() => Y.applyUpdate(trial, u)).not.toThrow();
        const pending = trial.store.pendingStructs !== null || trial.store.pendingDs !== null;
        expect(pending).toBe(v.kind === 'incomplete');
      }
    }
    // The generator covers all three outcomes.
    expect(Math.min(tally.ok, tally.incomplete, tally.fatal)).toBeGreaterThan(300);
  });

  it('passes every update real editing produces: transactions, sync step 2 diffs, other clients, maps', () => {
    for (let r = 0; r < 100; r++) {
      const server = new Y.Doc();
      const a = new Y.Doc();
      const other = new Y.Doc();
      a.on('update', (u: Uint8Array) => {
        expect(checkUpdate(u, stateOf(server)).kind).toBe('ok');
        Y.applyUpdate(server, u);
      });
      for (let i = 0; i < 40; i++) {
        const t = a.getText('note');
        if (t.length && rnd(3) === 0) t.delete(rnd(t.length), 1);
        else t.insert(rnd(t.length + 1), 'hey');
        if (rnd(8) === 0) a.getMap('m').set('x', rnd(2) ? new Y.Map() : 'v');
        if (rnd(6) === 0) {
          other.getText('note').insert(0, 'o');
          const diff = Y.encodeStateAsUpdate(other, Y.encodeStateVector(server));
          expect(checkUpdate(diff, stateOf(server)).kind).toBe('ok');
          Y.applyUpdate(server, diff);
          Y.applyUpdate(a, Y.encodeStateAsUpdate(server, Y.encodeStateVector(a)));
        }
      }
      const step2 = Y.encodeStateAsUpdate(a, Y.encodeStateVector(server));
      expect(['ok', 'empty']).toContain(checkUpdate(step2, stateOf(server)).kind);
    }
  });

  it('loads a note without the row that cannot be applied, and reports it', () => {
    const src = new Y.Doc();
    const rows: { id: number; update: Uint8Array }[] = [];
    src.on('update', (u: Uint8Array) => rows.push({ id: rows.length + 1, update: u }));
    src.getText('note').insert(0, 'good ');
    rows.push({ id: 99, update: poisonedUpdate(12345) });
    src.getText('note').insert(5, 'text');
    const { doc, rejected } = buildDoc(parseDocName('deal:00000000-0000-4000-8000-000000000001')!, 't', {
      snapshot: null,
      log: rows.sort((x, y) => x.id - y.id),
    });
    expect(doc.ydoc.getText('note').toString()).toBe('good text');
    expect(rejected.map((r) => r.id)).toEqual([99]);
    doc.ydoc.destroy();
  });
});

describe('what a feed event does to a note', () => {
  const ev = (type: string, data: unknown, entityId = 'e1') => ({ type: type as any, entityId, tenantId: 't1', data });
  it('drops the note only for a real deletion; lost-access notices (old and new form) only re-check', () => {
    expect(feedAction(ev('deal.deleted', { id: 'e1', pipelineId: 'p', stageId: 's' }))).toEqual({ kind: 'deleted', doc: 'deal:e1' });
    expect(feedAction(ev('contact.deleted', { id: 'e1' }))).toEqual({ kind: 'deleted', doc: 'contact:e1' });
    expect(feedAction(ev('deal.deleted', { id: 'e1', reason: 'access_lost' }))).toEqual({ kind: 'recheck', docs: ['deal:e1'] });
    expect(feedAction(ev('contact.deleted', { id: 'e1', reason: 'access_lost' }))).toEqual({ kind: 'recheck', docs: ['contact:e1'] });
    expect(feedAction(ev('access.lost', { entityType: 'deal', entityId: 'd9', reason: 'reassigned', toOwnerId: 'u2' }, 'd9'))).toEqual({
      kind: 'recheck',
      docs: ['deal:d9'],
    });
    expect(feedAction(ev('access.lost', { entityType: 'contact', entityId: 'c9', reason: 'unshared' }, 'c9'))).toEqual({
      kind: 'recheck',
      docs: ['contact:c9'],
    });
    expect(feedAction(ev('access.lost', { entityType: 'company', entityId: 'x', reason: 'manager_changed' }))).toEqual({ kind: 'none' });
    expect(feedAction(ev('access.granted', { entityType: 'deal', entityId: 'd9', reason: 'reassigned', record: {} }, 'd9'))).toEqual({
      kind: 'recheck',
      docs: ['deal:d9'],
    });
    expect(feedAction(ev('user.updated', {}))).toEqual({ kind: 'recheck-tenant', tenantId: 't1' });
    expect(feedAction(ev('share.deleted', { contactId: 'e1', userId: 'u' }))).toEqual({ kind: 'recheck', docs: ['contact:e1'] });
  });
});

describe('the pre-auth queue', () => {
  it('is bounded by messages and by bytes', () => {
    const q = new PreAuthQueue(64, 1000);
    expect(q.push(new Uint8Array(600))).toBeNull();
    expect(q.push(new Uint8Array(401))).toEqual({ code: 4413, reason: expect.stringContaining('bytes') });
    expect(q.push(new Uint8Array(400))).toBeNull();
    expect(q.drain().length).toBe(2);
    const c = new PreAuthQueue(2, 1000);
    c.push(new Uint8Array(1));
    c.push(new Uint8Array(1));
    expect(c.push(new Uint8Array(1))).toEqual({ code: 4400, reason: expect.stringContaining('messages') });
  });
});
