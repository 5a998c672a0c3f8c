import * as Y from 'yjs';
import type { NotesRuntime } from './runtime.js';
import { applyMissing, ORIGIN_REMOTE, type NoteDoc } from './note-doc.js';
import { applyRow, type Rejected } from './note.store.js';

/**
 * Folds the log into the snapshot (NoteStore.compact: one transaction under the doc's advisory lock).
 * The live doc is brought up to every folded row it has not applied (rows or a snapshot from another node),
 * then its state is the new snapshot: no scratch doc to rebuild. A row that cannot be applied is not folded
 * but moved to the quarantine in the same transaction.
 */
export async function compactDoc(rt: NotesRuntime, d: NoteDoc): Promise<void> {
  if (d.compacting || d.tainted) return;
  d.compacting = true;
  try {
    const n = d.sinceCompact;
    const nb = d.sinceCompactBytes;
    const r = await rt.store.compact(d.tenantId, d.name.name, {
      snapshotSeen: d.snapshotSeen,
      applied: (id) => id <= d.safeMark || d.seen.has(id),
      merge: (snapshot, unseen) => {
        if (snapshot && snapshot.lastUpdateId > d.snapshotSeen) {
          applyMissing(d.ydoc, snapshot.state, ORIGIN_REMOTE);
          d.snapshotSeen = snapshot.lastUpdateId;
        }
        const rejected: Rejected[] = [];
        if (unseen.length) {
          Y.transact(
            d.ydoc,
            () => {
              for (const x of unseen) {
                const res = applyRow(d.ydoc, x.update, ORIGIN_REMOTE);
                if (res.ok) {
                  if (x.id > d.safeMark) d.seen.add(x.id);
                  continue;
                }
                // Half-applied: the live doc is no longer a state we may write as the snapshot (the transaction rolls back).
                if (res.threw) {
                  d.tainted = true;
                  throw new Error(`note row ${x.id} failed half-way: ${res.reason}`);
                }
                rejected.push({ id: x.id, reason: res.reason });
              }
            },
            ORIGIN_REMOTE,
          );
        }
        return { state: Y.encodeStateAsUpdate(d.ydoc), rejected };
      },
    });
    d.sinceCompact = Math.max(0, d.sinceCompact - n);
    d.sinceCompactBytes = Math.max(0, d.sinceCompactBytes - nb);
    if (r.quarantined) {
      rt.totals.quarantined += r.quarantined;
      rt.ctx.log.error({ doc: d.name.name, rows: r.quarantined }, 'notes: quarantined log rows that cannot be applied (found while compacting)');
    }
    if (r.folded) {
      // Our own snapshot holds nothing the live doc lacks: catch-up must not fetch it back.
      d.snapshotSeen = Math.max(d.snapshotSeen, r.lastUpdateId);
      d.snapshotBytes = r.bytesAfter;
      const c = rt.totals.compactions;
      c.runs++;
      c.folded += r.folded;
      c.bytesBefore += r.bytesBefore;
      c.bytesAfter += r.bytesAfter;
    }
  } catch (err) {
    rt.ctx.log.warn({ err, doc: d.name.name }, 'notes: compaction failed');
  } finally {
    d.compacting = false;
  }
}
