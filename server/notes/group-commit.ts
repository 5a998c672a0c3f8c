import * as Y from 'yjs';
import type { NotesRuntime } from './runtime.js';
import type { NoteDoc, Session } from './note-doc.js';
import { checkUpdate, hasPending } from './update-check.js';
import { scheduleProjection } from './text-projection.js';
import { CLOSE_BAD_MESSAGE, CLOSE_STORAGE_FAILED } from './protocol.js';

/**
 * A client's document update. It is checked first (update-check.ts): one that does not apply cleanly on
 * top of what this doc has (and what is queued before it) is refused with 4400 and never stored, since a
 * stored update that cannot be applied would make the note unloadable. A good one waits for the next INSERT.
 */
export function receiveUpdate(rt: NotesRuntime, s: Session, update: Uint8Array): void {
  const d = s.doc;
  const v = checkUpdate(update, d.available);
  if (v.kind === 'empty') return;
  // Incomplete is tolerated only while the doc itself waits on something (an update from another node that
  // arrived out of order, which a joining client may echo back); otherwise it would stay pending for good.
  if (v.kind === 'fatal' || (v.kind === 'incomplete' && !hasPending(d.ydoc))) {
    rt.totals.refused++;
    rt.ctx.log.warn({ doc: d.name.name, user: s.viewer.id, reason: v.reason }, 'notes: refused an update that does not apply cleanly');
    rt.closeSession(s, CLOSE_BAD_MESSAGE, v.kind === 'fatal' ? 'malformed update' : 'update does not apply');
    return;
  }
  for (const [client, end] of v.coverage) if (end > (d.queuedEnd.get(client) ?? 0)) d.queuedEnd.set(client, end);
  d.queue.push({ update, session: s, coverage: v.coverage });
  if (!d.flushing)
    d.flushing = flush(rt, d).finally(() => {
      d.flushing = null;
    });
}

function recomputeQueuedEnd(d: NoteDoc): void {
  d.queuedEnd = new Map();
  for (const p of d.queue) for (const [client, end] of p.coverage) if (end > (d.queuedEnd.get(client) ?? 0)) d.queuedEnd.set(client, end);
}

/**
 * Group commit: whatever arrived while the previous INSERT ran goes into the next one. Only once the rows
 * are committed is the batch applied to the doc (which relays it to local clients) and published to other
 * nodes: what any client has seen is in PostgreSQL.
 */
async function flush(rt: NotesRuntime, d: NoteDoc): Promise<void> {
  while (d.queue.length) {
    const batch = d.queue.splice(0, 1000);
    let ids: number[];
    try {
      ids = await rt.store.append(
        d.tenantId,
        d.name.name,
        batch.map((b) => b.update),
      );
    } catch (err) {
      // Not stored, so not applied: the clients still hold these edits and resend them when they reconnect.
      rt.ctx.log.error({ err, doc: d.name.name }, 'notes: storing updates failed');
      const failed = new Set(batch.map((b) => b.session));
      for (const s of failed) rt.closeSession(s, CLOSE_STORAGE_FAILED, 'storage unavailable');
      // Their later updates build on what was not stored: they go too (the reconnecting client resends everything).
      d.queue = d.queue.filter((p) => !failed.has(p.session));
      recomputeQueuedEnd(d);
      continue;
    }
    for (const id of ids) d.seen.add(id);
    const merged = batch.length === 1 ? batch[0].update : Y.mergeUpdates(batch.map((b) => b.update));
    const origin = batch.every((b) => b.session === batch[0].session) ? batch[0].session : null;
    try {
      Y.applyUpdate(d.ydoc, merged, origin);
    } catch (err) {
      await failedHalfWay(
        rt,
        d,
        ids,
        batch.map((b) => b.session),
        err,
      );
      return;
    }
    recomputeQueuedEnd(d);
    for (const b of batch)
      for (const [client, end] of b.coverage) {
        if (Y.getState(d.ydoc.store, client) < end) {
          rt.ctx.log.warn({ doc: d.name.name, client }, 'notes: a stored update is waiting for structs the doc lacks');
          break;
        }
      }
    rt.bus?.publish(d.name.name, { kind: 'update', ids, update: merged });
    d.sinceCompact += batch.length;
    for (const b of batch) {
      d.sinceCompactBytes += b.update.byteLength;
      rt.totals.appended.rows++;
      rt.totals.appended.bytes += b.update.byteLength;
    }
    d.lastAppend = Date.now();
    scheduleProjection(rt, d);
  }
}

/**
 * Yjs threw on updates the check passed (it should not happen): they are stored, so they move to the
 * quarantine, and the live doc may hold part of them, so every session is closed (the senders with 4400,
 * the others with 1011 to reconnect) and the doc unloads without compaction, to load again from storage.
 */
async function failedHalfWay(rt: NotesRuntime, d: NoteDoc, ids: number[], senders: Session[], err: unknown): Promise<void> {
  rt.ctx.log.error({ err, doc: d.name.name, ids }, 'notes: applying stored updates failed half-way; quarantining them');
  d.tainted = true;
  const moved = await rt.store
    .quarantine(
      d.name.name,
      ids.map((id) => ({ id, reason: `apply failed: ${(err as Error)?.message}` })),
    )
    .catch((e) => {
      rt.ctx.log.error({ err: e, doc: d.name.name }, 'notes: quarantining failed');
      return 0;
    });
  rt.totals.quarantined += moved;
  const bad = new Set(senders);
  for (const s of [...d.sessions])
    rt.closeSession(s, bad.has(s) ? CLOSE_BAD_MESSAGE : CLOSE_STORAGE_FAILED, bad.has(s) ? 'update does not apply' : 'note reloading');
}
