import * as Y from 'yjs';
import type { MikroORM } from '@mikro-orm/postgresql';
import { rows, one, run, pgArray, type Em } from '../db/sql.js';
import { checkUpdate } from './update-check.js';

const bytes = (v: unknown): Uint8Array => (v instanceof Uint8Array ? v : new Uint8Array(v as ArrayBuffer));

export interface StoredSnapshot {
  state: Uint8Array;
  lastUpdateId: number;
}
export interface StoredRow {
  id: number;
  update: Uint8Array;
}
export interface LoadedNote {
  snapshot: StoredSnapshot | null;
  log: StoredRow[];
}
export interface LogRow {
  id: number;
  update: Uint8Array | null;
  old: boolean;
}
export interface CompactResult {
  folded: number;
  bytesBefore: number;
  bytesAfter: number;
  lastUpdateId: number;
  quarantined: number;
}
/** A row that cannot be applied, and why. */
export interface Rejected {
  id: number;
  reason: string;
}
/** Builds the new snapshot; rows it rejects are moved to the quarantine instead of being folded. */
export type Merge = (snapshot: StoredSnapshot | null, log: StoredRow[]) => { state: Uint8Array; rejected: Rejected[] };
/** A node's loaded copy of the doc, offered to compaction. */
export interface LiveDoc {
  /** The newest snapshot (its last update id) the live doc has applied. */
  snapshotSeen: number;
  /** Whether the live doc has applied this log row. */
  applied(id: number): boolean;
  /** Applies what it lacks (a newer snapshot, unapplied rows) and returns its whole state. */
  merge: Merge;
}

/**
 * Applies a stored row unless it is inconsistent (it is then not applied at all). `threw` says Yjs failed
 * half-way through a row the check let pass: what integrated before the failure stays in the doc, so the
 * caller must not trust that doc any more.
 */
export type RowResult = { ok: true } | { ok: false; reason: string; threw: boolean };
export function applyRow(doc: Y.Doc, update: Uint8Array, origin?: unknown): RowResult {
  const v = checkUpdate(update);
  if (v.kind === 'fatal') return { ok: false, reason: v.reason, threw: false };
  try {
    Y.applyUpdate(doc, update, origin);
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: `apply failed: ${(err as Error).message}`, threw: true };
  }
}

export const mergeInScratchDoc: Merge = (snapshot, log) => {
  const ydoc = new Y.Doc();
  const rejected: Rejected[] = [];
  try {
    Y.transact(ydoc, () => {
      if (snapshot) Y.applyUpdate(ydoc, snapshot.state);
      for (const r of log) {
        const res = applyRow(ydoc, r.update);
        if (!res.ok && res.threw) throw new Error(`note row ${r.id} failed half-way: ${res.reason}`);
        if (!res.ok) rejected.push({ id: r.id, reason: res.reason });
      }
    });
    return { state: Y.encodeStateAsUpdate(ydoc), rejected };
  } finally {
    ydoc.destroy();
  }
};

/**
 * PostgreSQL persistence of note documents: an append-only update log plus one snapshot per doc.
 * The snapshot holds everything folded so far; the log holds everything else, so loading applies the
 * snapshot and every remaining row (including rows with ids below the snapshot's, which committed late).
 */
export class NoteStore {
  constructor(private orm: MikroORM) {}

  private em(): Em {
    return this.orm.em.fork() as Em;
  }

  /** One INSERT for a batch of updates; resolves once they are committed. */
  async append(tenantId: string, doc: string, updates: Uint8Array[]): Promise<number[]> {
    const params: unknown[] = [];
    const tuples = updates.map((u) => {
      params.push(tenantId, doc, Buffer.from(u.buffer, u.byteOffset, u.byteLength));
      return '(?, ?, ?)';
    });
    // Straight to the connection: this is the hot path, and it needs no unit of work.
    const r = await rows<{ id: string }>(
      this.orm.em.getConnection() as any,
      `insert into note_updates (tenant_id, doc, update) values ${tuples.join(', ')} returning id`,
      params,
    );
    return r.map((x) => Number(x.id));
  }

  async load(doc: string): Promise<LoadedNote> {
    const em = this.em();
    const snap = await one<{ state: unknown; last_update_id: string }>(em, 'select state, last_update_id from note_snapshots where doc = ?', [doc]);
    const log = await rows<{ id: string; update: unknown }>(em, 'select id, update from note_updates where doc = ? order by id', [doc]);
    return {
      snapshot: snap ? { state: bytes(snap.state), lastUpdateId: Number(snap.last_update_id) } : null,
      log: log.map((r) => ({ id: Number(r.id), update: bytes(r.update) })),
    };
  }

  /**
   * Moves log rows that cannot be applied to `note_updates_quarantine`, so the note loads without them and
   * the bytes stay for a person to look at. Idempotent: two nodes quarantining the same row move it once.
   */
  async quarantine(doc: string, rejected: Rejected[], em: Em = this.em()): Promise<number> {
    if (!rejected.length) return 0;
    const ids = rejected.map((r) => String(r.id));
    const reasons = rejected.map((r) => r.reason.slice(0, 500));
    const moved = await rows<{ id: string }>(
      em,
      `with bad as (
        select unnest(?::bigint[]) as id, unnest(?::text[]) as reason
      ), moved as (
        delete from note_updates u using bad where u.id = bad.id and u.doc = ? returning u.id, u.tenant_id, u.doc, u.update, u.created_at, bad.reason
      )
      insert into note_updates_quarantine (id, tenant_id, doc, update, created_at, reason)
        select id, tenant_id, doc, update, created_at, reason from moved on conflict (id) do nothing returning id`,
      [pgArray(ids), pgArray(reasons), doc],
    );
    return moved.length;
  }

  /** Rows in quarantine (all tenants), for health. */
  async quarantined(): Promise<number> {
    const r = await one<{ n: string }>(this.em(), 'select count(*) as n from note_updates_quarantine');
    return Number(r?.n ?? 0);
  }

  /**
   * Log rows after `afterId`, with bytes only for ids not in `known`. `old` marks rows old enough that
   * no transaction holding a smaller id can still be in flight (each append is one short statement),
   * so the caller may move its mark past them.
   */
  async since(doc: string, afterId: number, known: Set<number>): Promise<{ rows: LogRow[]; snapshotId: number }> {
    const em = this.em();
    const ids = await rows<{ id: string; old: boolean }>(
      em,
      `select id, created_at < now() - interval '3 seconds' as old from note_updates where doc = ? and id > ? order by id`,
      [doc, afterId],
    );
    const out: LogRow[] = ids.map((x) => ({ id: Number(x.id), update: null, old: !!x.old }));
    const missing = out.filter((r) => !known.has(r.id));
    if (missing.length) {
      const got = await rows<{ id: string; update: unknown }>(em, 'select id, update from note_updates where id = any(?::bigint[])', [
        pgArray(missing.map((r) => String(r.id))),
      ]);
      const byId = new Map(got.map((g) => [Number(g.id), bytes(g.update)]));
      for (const r of missing) r.update = byId.get(r.id) ?? null;
    }
    const s = await one<{ last_update_id: string }>(em, 'select last_update_id from note_snapshots where doc = ?', [doc]);
    return { rows: out, snapshotId: s ? Number(s.last_update_id) : 0 };
  }

  async snapshot(doc: string): Promise<{ state: Uint8Array; lastUpdateId: number } | null> {
    const s = await one<{ state: unknown; last_update_id: string }>(this.em(), 'select state, last_update_id from note_snapshots where doc = ?', [
      doc,
    ]);
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
      const meta = await one<{ last_update_id: string; n: string }>(
        em,
        'select last_update_id, octet_length(state) as n from note_snapshots where doc = ?',
        [doc],
      );
      const log = (
        await rows<{ id: string; n: string }>(em, 'select id, octet_length(update) as n from note_updates where doc = ? order by id', [doc])
      ).map((r) => ({ id: Number(r.id), n: Number(r.n) }));
      const snapshotId = meta ? Number(meta.last_update_id) : 0;
      const before = (meta ? Number(meta.n) : 0) + log.reduce((n, r) => n + r.n, 0);
      if (log.length === 0) return { folded: 0, bytesBefore: before, bytesAfter: before, lastUpdateId: snapshotId, quarantined: 0 };
      let snapshot: { state: Uint8Array; lastUpdateId: number } | null = null;
      if (meta && (!live || snapshotId > live.snapshotSeen)) {
        const s = await one<{ state: unknown }>(em, 'select state from note_snapshots where doc = ?', [doc]);
        if (s) snapshot = { state: bytes(s.state), lastUpdateId: snapshotId };
      }
      const ids = log.map((r) => r.id);
      const want = live ? ids.filter((id) => !live.applied(id)) : ids;
      const fetched = want.length
        ? (
            await rows<{ id: string; update: unknown }>(em, 'select id, update from note_updates where id = any(?::bigint[]) order by id', [
              pgArray(want.map(String)),
            ])
          ).map((r) => ({ id: Number(r.id), update: bytes(r.update) }))
        : [];
      const { state, rejected } = live ? live.merge(snapshot, fetched) : mergeInScratchDoc(snapshot, fetched);
      // A row that cannot be applied is not folded (its bytes would vanish with the delete): it moves to the quarantine.
      const quarantined = await this.quarantine(doc, rejected, em);
      const bad = new Set(rejected.map((r) => r.id));
      const folded = ids.filter((id) => !bad.has(id));
      const last = Math.max(ids[ids.length - 1], snapshotId);
      await run(
        em,
        `insert into note_snapshots (doc, tenant_id, state, last_update_id, updated_at) values (?, ?, ?, ?, now())
        on conflict (doc) do update set state = excluded.state, last_update_id = excluded.last_update_id, updated_at = now()`,
        [doc, tenantId, Buffer.from(state.buffer, state.byteOffset, state.byteLength), last],
      );
      await run(em, 'delete from note_updates where doc = ? and id = any(?::bigint[])', [doc, pgArray(folded.map(String))]);
      return { folded: folded.length, bytesBefore: before, bytesAfter: state.byteLength, lastUpdateId: last, quarantined };
    });
  }

  /** Bytes stored for a doc (snapshot + log), for the benchmark and health. */
  async storedBytes(doc: string): Promise<{ logRows: number; logBytes: number; snapshotBytes: number }> {
    const em = this.em();
    const l = await one<{ n: string; b: string | null }>(em, 'select count(*) as n, sum(octet_length(update)) as b from note_updates where doc = ?', [
      doc,
    ]);
    const s = await one<{ b: string }>(em, 'select octet_length(state) as b from note_snapshots where doc = ?', [doc]);
    return { logRows: Number(l?.n ?? 0), logBytes: Number(l?.b ?? 0), snapshotBytes: Number(s?.b ?? 0) };
  }

  /** A deleted record takes its note with it (the tenant's rows only). */
  async drop(tenantId: string, doc: string): Promise<void> {
    const em = this.em();
    await run(em, 'delete from note_updates where doc = ? and tenant_id = ?', [doc, tenantId]);
    await run(em, 'delete from note_snapshots where doc = ? and tenant_id = ?', [doc, tenantId]);
  }
}
