import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import type * as Y from 'yjs';

/** y-websocket message types (the stock client's numbering). */
export const MSG_SYNC = 0;
export const MSG_AWARENESS = 1;
export const MSG_AUTH = 2;
export const MSG_QUERY_AWARENESS = 3;

/**
 * Inside MSG_AUTH, y-protocols defines sub-type 0 (permission denied). Pulse adds sub-type 1, the
 * session's access mode, followed by a string: 'read-only' or 'read-write'. The stock client ignores
 * unknown auth sub-types silently; the Pulse client reads it to lock the editor. A read-only session
 * still syncs and shares awareness, but every document update it sends is dropped.
 */
export const AUTH_ACCESS_MODE = 1;
export type AccessMode = 'read-only' | 'read-write';

/** Close codes (4400-4499 tell the stock client not to reconnect). */
/** A malformed message, or a Yjs update that does not apply cleanly (nothing from it is stored). */
export const CLOSE_BAD_MESSAGE = 4400;
export const CLOSE_UNAUTHENTICATED = 4401;
export const CLOSE_ACCESS_LOST = 4403;
export const CLOSE_NOT_FOUND = 4404;
/** More bytes before the session was admitted than any y-websocket client sends (HTTP's 413). */
export const CLOSE_TOO_LARGE = 4413;
export const CLOSE_STORAGE_FAILED = 1011;

export function syncStep1(doc: Y.Doc): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MSG_SYNC);
  syncProtocol.writeSyncStep1(e, doc);
  return encoding.toUint8Array(e);
}

export function syncStep2(doc: Y.Doc, stateVector: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MSG_SYNC);
  syncProtocol.writeSyncStep2(e, doc, stateVector);
  return encoding.toUint8Array(e);
}

export function updateMessage(update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MSG_SYNC);
  syncProtocol.writeUpdate(e, update);
  return encoding.toUint8Array(e);
}

export function awarenessMessage(update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MSG_AWARENESS);
  encoding.writeVarUint8Array(e, update);
  return encoding.toUint8Array(e);
}

export function accessModeMessage(mode: AccessMode): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MSG_AUTH);
  encoding.writeVarUint(e, AUTH_ACCESS_MODE);
  encoding.writeVarString(e, mode);
  return encoding.toUint8Array(e);
}

/** A decoded client message; anything that does not parse is `bad`. */
export type ClientMessage =
  | { type: 'sync-step1'; stateVector: Uint8Array }
  | { type: 'update'; update: Uint8Array }
  | { type: 'awareness'; update: Uint8Array }
  | { type: 'query-awareness' }
  | { type: 'auth' }
  | { type: 'bad'; reason: string };

export function decodeClientMessage(buf: Uint8Array): ClientMessage {
  try {
    const d = decoding.createDecoder(buf);
    const t = decoding.readVarUint(d);
    switch (t) {
      case MSG_SYNC: {
        const sub = decoding.readVarUint(d);
        const payload = decoding.readVarUint8Array(d);
        if (sub === syncProtocol.messageYjsSyncStep1) return { type: 'sync-step1', stateVector: payload };
        if (sub === syncProtocol.messageYjsSyncStep2 || sub === syncProtocol.messageYjsUpdate) return { type: 'update', update: payload };
        return { type: 'bad', reason: `unknown sync message ${sub}` };
      }
      case MSG_AWARENESS:
        return { type: 'awareness', update: decoding.readVarUint8Array(d) };
      case MSG_QUERY_AWARENESS:
        return { type: 'query-awareness' };
      case MSG_AUTH:
        return { type: 'auth' };
      default:
        return { type: 'bad', reason: `unknown message type ${t}` };
    }
  } catch {
    return { type: 'bad', reason: 'malformed message' };
  }
}
