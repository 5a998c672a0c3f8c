import type { NotesRuntime } from './runtime.js';
import type { NoteDoc } from './note-doc.js';
import { projectDealNote } from './note.projection.js';

/**
 * The deal's `note_text` (REST `notePreview`) follows the note. Every node holding the doc schedules the
 * projection for whatever it applied, its own clients' edits and updates from the bus or catch-up alike:
 * a node killed (or cut off from Redis) before its timer fired leaves the others to write the text, and
 * the last node to unload the doc writes it once more. Writing the same text twice is a no-op (no event).
 */
export function scheduleProjection(rt: NotesRuntime, d: NoteDoc): void {
  if (d.name.kind !== 'deal' || d.deleted || d.tainted) return;
  if (!d.projectDirty) d.dirtySince = Date.now();
  d.projectDirty = true;
  // Debounced, but someone typing without pause still gets a preview every few debounce periods.
  if (d.projectTimer && Date.now() - d.dirtySince >= 5 * rt.opts.projectionDelayMs) return;
  if (d.projectTimer) clearTimeout(d.projectTimer);
  d.projectTimer = setTimeout(() => {
    d.projectTimer = null;
    void projectNow(rt, d);
  }, rt.opts.projectionDelayMs);
}

export function cancelProjection(d: NoteDoc): void {
  if (d.projectTimer) {
    clearTimeout(d.projectTimer);
    d.projectTimer = null;
  }
}

/**
 * Writes the text now if it changed since the last write. The text is derived from the note, not typed
 * into the deal by anyone, so it is written by the system actor `notes-projection`: any node can write
 * it, whoever's edits (local, from the bus or from catch-up) it carries.
 */
export async function projectNow(rt: NotesRuntime, d: NoteDoc): Promise<void> {
  if (!d.projectDirty || d.deleted || d.tainted) return;
  d.projectDirty = false;
  try {
    await projectDealNote(rt.ctx.wp, rt.ctx.policy, d.tenantId, d.name.id, d.ydoc.getText('note').toString());
  } catch (err) {
    rt.ctx.log.warn({ err, doc: d.name.name }, 'notes: text projection failed');
  }
}
