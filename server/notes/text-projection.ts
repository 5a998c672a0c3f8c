import type { Viewer } from '../auth/viewer.js';
import type { NotesRuntime } from './runtime.js';
import type { NoteDoc } from './note-doc.js';
import { projectDealNote } from './note.projection.js';

/**
 * The deal's `note_text` (REST `notePreview`) follows the note. Every node holding the doc schedules the
 * projection for whatever it applied, its own clients' edits and updates from the bus or catch-up alike:
 * a node killed (or cut off from Redis) before its timer fired leaves the others to write the text, and
 * the last node to unload the doc writes it once more. Writing the same text twice is a no-op (no event).
 */
export function scheduleProjection(rt: NotesRuntime, d: NoteDoc, editor?: Viewer): void {
  if (d.name.kind !== 'deal' || d.deleted || d.tainted) return;
  if (editor) d.lastEditor = editor;
  if (!d.projectDirty) d.dirtySince = Date.now();
  d.projectDirty = true;
  // Debounced, but someone typing without pause still gets a preview every few debounce periods.
  if (d.projectTimer && Date.now() - d.dirtySince >= 5 * rt.opts.projectionDelayMs) return;
  if (d.projectTimer) clearTimeout(d.projectTimer);
  d.projectTimer = setTimeout(() => { d.projectTimer = null; void projectNow(rt, d); }, rt.opts.projectionDelayMs);
}

/** Remembers a user with a session here, who may act for the projection of updates made elsewhere. */
export function notePresent(d: NoteDoc, viewer: Viewer, canWrite: boolean): void {
  if (canWrite || !d.present) d.present = viewer;
}

export function cancelProjection(d: NoteDoc): void {
  if (d.projectTimer) { clearTimeout(d.projectTimer); d.projectTimer = null; }
}

/**
 * Writes the text now if it changed since the last write. It acts for the last local editor or, for
 * updates that came from another node, for a user with a session on the doc here (the lead's system
 * actors can replace that once the write path has them).
 */
export async function projectNow(rt: NotesRuntime, d: NoteDoc): Promise<void> {
  let current: Viewer | null = null;
  for (const s of d.sessions) if (!current || s.access === 'write') current = s.viewer;
  const actor = d.lastEditor ?? current ?? d.present;
  if (!d.projectDirty || !actor || d.deleted || d.tainted) return;
  d.projectDirty = false;
  try {
    await projectDealNote(rt.ctx.wp, rt.ctx.vis, actor, d.name.id, d.ydoc.getText('note').toString());
  } catch (err) {
    rt.ctx.log.warn({ err, doc: d.name.name }, 'notes: text projection failed');
  }
}
