import type { PulseContext } from '../extension.js';
import type { NoteStore } from './note.store.js';
import type { NoteBus } from './note.bus.js';
import type { NoteDoc, Session } from './note-doc.js';

export interface NotesOptions {
  /** How often each open session's access is re-checked without any feed event (ms). */
  recheckMs?: number;
  /** How often loaded docs read updates they may have missed from PostgreSQL (ms). */
  catchUpMs?: number;
  /**
   * Compact a doc once the bytes logged since the last compaction reach the snapshot's size (at least
   * this many bytes), so the work stays linear in what was written...
   */
  compactMinBytes?: number;
  /** ...or when it has uncompacted updates this old (ms). */
  compactIdleMs?: number;
  /** Debounce of the plain-text projection onto the deal (ms). */
  projectionDelayMs?: number;
  /** Redis for multi-node fan-out; defaults to the node's REDIS_URL. */
  redisUrl?: string | null;
}

/** Counters for health and the benchmark. */
export interface NotesTotals {
  appended: { rows: number; bytes: number };
  compactions: { runs: number; folded: number; bytesBefore: number; bytesAfter: number };
  /** Client updates refused (4400) because they do not apply cleanly; none of them was stored. */
  refused: number;
  /** Stored log rows this node moved to note_updates_quarantine because they cannot be applied. */
  quarantined: number;
}

/** What the notes modules share: the node, the options, storage, the bus and the loaded docs. */
export interface NotesRuntime {
  ctx: PulseContext;
  opts: Required<NotesOptions>;
  store: NoteStore;
  bus: NoteBus | null;
  docs: Map<string, NoteDoc>;
  totals: NotesTotals;
  closeSession(s: Session, code: number, reason: string): void;
}
