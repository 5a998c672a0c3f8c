import * as Y from 'yjs';
import type { MikroORM } from '@mikro-orm/postgresql';
import { rows, one, run, pgArray, type Em } from '../db/sql.js';

const bytes = (v: unknown): Uint8Array => (v instanceof Uint8Array ? v : new Uint8Array(v as ArrayBuffer));

export interface LoadedNote { parts: Uint8Array[]; ids: number[]; snapshotId: number; snapshotBytes: number }
export interface LogRow { id: number; update: Uint8Array | null; old: boolean }
export interface CompactResult { folded: number; bytesBefore: number; bytesAfter: number; lastUpdateId: number }
export type Merge = (snapshot: { state: Uint8Array; lastUpdateId: number } | null, log: { id: number; update: Uint8Array }[]) => Uint8Array;
/** A node's loaded copy of the doc, offered to compaction. */
export interface LiveDoc {
  /** The newest snapshot (its last update id) the live doc has applied. */
  snapshotSeen: number;
  /** Whether the live doc has applied this log row. */
  applied(id: number): boolean;
  /** Applies what it lacks (a newer snapshot, unapplied rows) and returns its whole state. */
  merge: Merge;
}

export const mergeInScratchDoc: Merge = (snapshot, log) => {
  const ydoc = new Y.Doc();
  try {
    Y.transact(ydoc, () => {
      if (snapshot) Y.applyUpdate(ydoc, snapshot.state);
      for (const r of log) Y.applyUpdate(ydoc, r.update);
    });
    return Y.encodeStateAsUpdate(ydoc);
  } finally { ydoc.destroy(); }
};

/**
 * PostgreSQL persistence of note documents: an append-only update log plus one snapshot per doc.
 * The snapshot holds everything folded so far; the log holds everything else, so loading applies the
 * snapshot and every remaining row (including rows with ids below the snapshot's, which committed late).
 */
export class NoteStore {
  constructor(private orm: MikroORM) {}

  private em(): Em { return this.orm.em.fork() as Em; }

  /** One INSERT for a batch of updates; resolves once they are committed. */
  async append(tenantId: string, doc: string, updates: Uint8Array[]): Promise<number[]> {
    const params: unknown[] = [];
    const tuples = updates.map((u) => { params.push(tenantId, doc, Buffer.from(u.buffer, u.byteOffset, u.byteLength)); return '(?, ?, ?)'; });
    // Straight to the connection: this is the hot path, and it needs no unit of work.
    const r = await rows<{ id: string }>(this.orm.em.getConnection() as any, `insert into note_updates (tenant_id, doc, update) values ${tuples.join(', ')} returning id`, params);
    return r.map((x) => Number(x.id));
  }

  async load(doc: string): Promise<LoadedNote> {
    const em = this.em();
    const snap = await one<{ state: unknown; last_update_id: string }>(em, 'select state, last_update_id from note_snapshots where doc = ?', [doc]);
    const log = await rows<{ id: string; update: unknown }>(em, 'select id, update from note_updates where doc = ? order by id', [doc]);
    const parts = snap ? [bytes(snap.state)] : [];
    for (const r of log) parts.push(bytes(r.update));
    return { parts, ids: log.map((r) => Number(r.id)), snapshotId: snap ? Number(snap.last_update_id) : 0, snapshotBytes: snap ? parts[0].byteLength : 0 };
  }

  /**
   * Log rows after `afterId`, with bytes only for ids not in `known`. `old` marks rows old enough that
   * no transaction holding a smaller id can still be in flight (each append is one short statement),
   * so the caller may move its mark past them.
   */
  async since(doc: string, afterId: number, known: Set<number>): Promise<{ rows: LogRow[]; snapshotId: number }> {
    const em = this.em();
    const ids = await rows<{ id: string; old: boolean }>(em,
      `select id, created_at < now() - interval '3 seconds' as old from note_updates where doc = ? and id > ? order by id`, [doc, afterId]);
    const out: LogRow[] = ids.map((x) => ({ id: Number(x.id), update: null, old: !!x.old }));
    const missing = out.filter((r) => !known.has(r.id));
    if (missing.length) {
      const got = await rows<{ id: string; update: unknown }>(em, 'select id, update from note_updates where id = any(?::bigint[])', [pgArray(missing.map((r) => String(r.id)))]);
      const byId = new Map(got.map((g) => [Number(g.id), bytes(g.update)]));
      for (const r of missing) r.update = byId.get(r.id) ?? null;
    }
    const s = await one<{ last_update_id: string }>(em, 'select last_update_id from note_snapshots where doc = ?', [doc]);
    return { rows: out, snapshotId: s ? Number(s.last_update_id) : 0 };
  }

  async snapshot(doc: string): Promise<{ state: Uint8Array; lastUpdateId: number } | null> {
    const s = await one<{ state: unknown; last_update_id: string }>(this.em(), 'select state, last_update_id from note_snapshots where doc = ?', [doc]);
    return s ? { state: bytes(s.state), lastUpdateId: Number(s.last_update_id) } : null;
  }

  /**
   * Folds the committed log rows into the snapshot and deletes exactly those rows, in one transaction
   * under a per-doc advisory lock, so two nodes compacting the same doc serialise and neither loses rows.
   * Without `live` the new state is built in a scratch Y.Doc; a node with the doc loaded passes its live
   * doc instead, and then only the bytes it has not applied yet are read (the snapshot included), which
   * keeps a big note's compaction from stalling the node.
   */
  async compact(tenantId: string, doc: string, live?: LiveDoc): Promise<CompactResult> {
    return this.orm.em.fork().transactional(async (tem) => {
      const em = tem as Em;
      await rows(em, 'select pg_advisory_xact_lock(hashtext(?))', ['pulse-note:' + doc]);
      const meta = await one<{ last_update_id: string; n: string }>(em, 'select last_update_id, octet_length(state) as n from note_snapshots where doc = ?', [doc]);
      const log = (await rows<{ id: string; n: string }>(em, 'select id, octet_length(update) as n from note_updates where doc = ? order by id', [doc]))
        .map((r) => ({ id: Number(r.id), n: Number(r.n) }));
      const snapshotId = meta ? Number(meta.last_update_id) : 0;
      const before = (meta ? Number(meta.n) : 0) + log.reduce((n, r) => n + r.n, 0);
      if (log.length === 0) return { folded: 0, bytesBefore: before, bytesAfter: before, lastUpdateId: snapshotId };
      let snapshot: { state: Uint8Array; lastUpdateId: number } | null = null;
      if (meta && (!live || snapshotId > live.snapshotSeen)) {
        const s = await one<{ state: unknown }>(em, 'select state from note_snapshots where doc = ?', [doc]);
        if (s) snapshot = { state: bytes(s.state), lastUpdateId: snapshotId };
      }
      const ids = log.map((r) => r.id);
      const want = live ? ids.filter((id) => !live.applied(id)) : ids;
      const fetched = want.length
        ? (await rows<{ id: string; update: unknown }>(em, 'select id, update from note_updates where id = any(?::bigint[]) order by id', [pgArray(want.map(String))]))
          .map((r) => ({ id: Number(r.id), update: bytes(r.update) }))
        : [];
      const state = live ? live.merge(snapshot, fetched) : mergeInScratchDoc(snapshot, fetched);
      const last = Math.max(ids[ids.length - 1], snapshotId);
      await run(em, `insert into note_snapshots (doc, tenant_id, state, last_update_id, updated_at) values (?, ?, ?, ?, now())
        on conflict (doc) do update set state = excluded.state, last_update_id = excluded.last_update_id, updated_at = now()`,
        [doc, tenantId, Buffer.from(state.buffer, state.byteOffset, state.byteLength), last]);
      await run(em, 'delete from note_updates where doc = ? and id = any(?::bigint[])', [doc, pgArray(ids.map(String))]);
      return { folded: ids.length, bytesBefore: before, bytesAfter: state.byteLength, lastUpdateId: last };
    });
  }

  /** Bytes stored for a doc (snapshot + log), for the benchmark and health. */
  async storedBytes(doc: string): Promise<{ logRows: number; logBytes: number; snapshotBytes: number }> {
    const em = this.em();
    const l = await one<{ n: string; b: string | null }>(em, 'select count(*) as n, sum(octet_length(update)) as b from note_updates where doc = ?', [doc]);
    const s = await one<{ b: string }>(em, 'select octet_length(state) as b from note_snapshots where doc = ?', [doc]);
    return { logRows: Number(l?.n ?? 0), logBytes: Number(l?.b ?? 0), snapshotBytes: Number(s?.b ?? 0) };
  }

  /** A deleted record takes its note with it. */
  async drop(doc: string): Promise<void> {
    const em = this.em();
    await run(em, 'delete from note_updates where doc = ?', [doc]);
    await run(em, 'delete from note_snapshots where doc = ?', [doc]);
  }
}
