import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import type { NotesRuntime } from './runtime.js';
import type { BusMessage } from './note.bus.js';
import { applyMissing, ORIGIN_REMOTE, type NoteDoc } from './note-doc.js';
import { applyRow, type Rejected } from './note.store.js';
import { checkUpdate } from './update-check.js';
import { sanitizeRelayedAwareness } from './awareness.js';
import { scheduleProjection } from './text-projection.js';

/**
 * Updates other nodes stored: from the bus (fast, best-effort) and from the log (catch-up, the truth).
 * Both are checked before they touch the live doc; what other nodes applied schedules this node's text
 * projection too, so a node that dies before its own projection fires does not leave the preview stale.
 */
export function fromBus(rt: NotesRuntime, doc: string, m: BusMessage): void {
  const d = rt.docs.get(doc);
  if (!d || d.unloading) return;
  if (m.kind === 'awareness') {
    try {
      awarenessProtocol.applyAwarenessUpdate(d.awareness, sanitizeRelayedAwareness(m.update), ORIGIN_REMOTE);
    } catch {
      /* malformed: ignore */
    }
    return;
  }
  if (m.ids.length && m.ids.every((id) => d.seen.has(id) || id <= d.safeMark)) return;
  // An inconsistent update is left alone (ids not marked seen): catch-up reads the rows and quarantines them.
  if (checkUpdate(m.update).kind === 'fatal') {
    rt.ctx.log.warn({ doc }, 'notes: inconsistent update from the bus ignored');
    return;
  }
  try {
    Y.applyUpdate(d.ydoc, m.update, ORIGIN_REMOTE);
  } catch (err) {
    rt.ctx.log.error({ err, doc }, 'notes: an update from the bus failed half-way');
    d.tainted = true;
    return;
  }
  for (const id of m.ids) if (id > d.safeMark) d.seen.add(id);
  scheduleProjection(rt, d);
}

/**
 * Reads log rows this node has not applied (Redis is best-effort; PostgreSQL is the truth). `final` is the
 * unload's last look before it writes the projection (the doc is unloading but not destroyed yet).
 */
export async function catchUp(rt: NotesRuntime, d: NoteDoc, final = false): Promise<void> {
  const gone = () => !final && !!d.unloading;
  if (gone() || d.tainted) return;
  d.lastCatchUp = Date.now();
  const known = new Set(d.seen);
  const { rows, snapshotId } = await rt.store.since(d.name.name, d.safeMark, known);
  if (gone()) return;
  let applied = false;
  if (snapshotId > d.snapshotSeen) {
    // Another node compacted rows we may never have seen: the snapshot holds them.
    const snap = await rt.store.snapshot(d.name.name);
    if (snap && !gone()) {
      const before = Y.encodeStateVector(d.ydoc);
      applyMissing(d.ydoc, snap.state, ORIGIN_REMOTE);
      d.snapshotSeen = snap.lastUpdateId;
      applied = !Buffer.from(before).equals(Buffer.from(Y.encodeStateVector(d.ydoc)));
    }
  }
  // Ids that left the log were compacted into the snapshot (or quarantined): no need to remember them.
  const present = new Set(rows.map((r) => r.id));
  for (const id of known) if (!present.has(id)) d.seen.delete(id);
  const fresh = rows.filter((r) => r.update && !d.seen.has(r.id));
  if (fresh.length && !gone()) {
    const rejected: Rejected[] = [];
    // Row by row: one bad row must not keep the good ones out (they are few; the bus usually got there first).
    Y.transact(
      d.ydoc,
      () => {
        for (const r of fresh) {
          const res = applyRow(d.ydoc, r.update!, ORIGIN_REMOTE);
          if (res.ok) {
            d.seen.add(r.id);
            continue;
          }
          if (res.threw) d.tainted = true;
          rejected.push({ id: r.id, reason: res.reason });
        }
      },
      ORIGIN_REMOTE,
    );
    if (rejected.length) {
      const moved = await rt.store.quarantine(d.name.name, rejected);
      rt.totals.quarantined += moved;
      rt.ctx.log.error({ doc: d.name.name, rejected }, 'notes: quarantined log rows that cannot be applied (found in catch-up)');
    }
    if (rejected.length < fresh.length) applied = true;
  }
  if (applied) scheduleProjection(rt, d);
  // Move the mark past rows old enough that no smaller id can still commit (each row is applied, quarantined or gone).
  let mark = d.safeMark;
  for (const r of rows) if (r.old) mark = Math.max(mark, r.id);
  if (mark > d.safeMark) {
    d.safeMark = mark;
    for (const id of d.seen) if (id <= mark) d.seen.delete(id);
  }
}
