import { EntitySchema } from '@mikro-orm/core';
import { tenant, createdAt } from '../db/columns.js';

/**
 * The append-only log of Yjs updates per note document. Every update a client sends is a row here
 * before any other client sees it; compaction folds rows into `note_snapshots` and deletes them.
 */
export const NoteUpdate = new EntitySchema<any>({
  name: 'NoteUpdate',
  tableName: 'note_updates',
  properties: {
    id: { type: 'bigint', primary: true, autoincrement: true, columnType: 'bigserial' },
    tenant,
    // 'deal:<uuid>' or 'contact:<uuid>'
    doc: { type: 'string', length: 80 },
    update: { type: 'blob', columnType: 'bytea' },
    createdAt,
  },
  indexes: [{ name: 'note_updates_doc_id_idx', properties: ['doc', 'id'] }],
});

/** One merged state per document: everything folded in so far. */
export const NoteSnapshot = new EntitySchema<any>({
  name: 'NoteSnapshot',
  tableName: 'note_snapshots',
  properties: {
    doc: { type: 'string', length: 80, primary: true },
    tenant,
    state: { type: 'blob', columnType: 'bytea' },
    // The highest note_updates id folded in (rows below it that commit late stay in the log and are applied on load).
    lastUpdateId: { type: 'bigint', default: 0 },
    updatedAt: { type: 'datetime', length: 3, defaultRaw: 'now()' },
  },
});

/** Log rows a node could not apply (inconsistent Yjs updates), moved out of the log with why. */
export const NoteUpdateQuarantine = new EntitySchema<any>({
  name: 'NoteUpdateQuarantine',
  tableName: 'note_updates_quarantine',
  properties: {
    id: { type: 'bigint', primary: true, autoincrement: false },
    tenant,
    doc: { type: 'string', length: 80 },
    update: { type: 'blob', columnType: 'bytea' },
    createdAt: { type: 'datetime', length: 3 },
    quarantinedAt: { type: 'datetime', length: 3, defaultRaw: 'now()' },
    reason: { type: 'text' },
  },
  indexes: [{ name: 'note_updates_quarantine_doc_idx', properties: ['doc'] }],
});
