import type { PulseExtension } from '../extension.js';
import { NotesServer, type NotesOptions } from './notes.server.js';

export type { NotesOptions } from './notes.server.js';

/**
 * Co-edited deal and contact notes: the y-websocket protocol on `/yjs/<docName>` of the node's HTTP
 * server, durable in PostgreSQL, fanned out across nodes through Redis.
 */
export function notesExtension(opts: NotesOptions = {}): PulseExtension & { server(): NotesServer | null } {
  let notes: NotesServer | null = null;
  return {
    name: 'notes',
    attach(ctx) {
      notes = new NotesServer(ctx, opts);
      notes.start();
    },
    async health() {
      return notes ? notes.health() : { status: 'not attached' };
    },
    degraded() {
      return !!notes?.busDown();
    },
    async close() {
      await notes?.close();
      notes = null;
    },
    server() {
      return notes;
    },
  };
}
