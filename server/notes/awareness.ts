import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import { safeColor, lightColor } from '../../shared/user-color.js';

/** Awareness states one message may carry (a client sends its own; a node relays a doc's). */
const MAX_STATES = 64;
/** One state's JSON: a user and a y-codemirror cursor (two relative positions) fit in well under this. */
const MAX_STATE_CHARS = 4096;
const MAX_CURSOR_CHARS = 1024;
const MAX_NAME_CHARS = 200;

/** The only awareness state the server relays: who (pinned), in which colour (safe), and where the cursor is. */
export interface RelayedState {
  user: { id: string; name: string; color: string; colorLight: string };
  cursor?: unknown;
}

type StateFix = (state: Record<string, unknown>) => RelayedState | null;

/**
 * Re-encodes an awareness update with each state rebuilt by `fix` (null states, which remove a client,
 * pass through). Everything a peer may not set is dropped: unknown fields, oversized cursors. Throws on a
 * malformed update or one that is too big.
 */
function rewrite(update: Uint8Array, fix: StateFix): Uint8Array {
  const d = decoding.createDecoder(update);
  const e = encoding.createEncoder();
  const n = decoding.readVarUint(d);
  if (n > MAX_STATES) throw new Error('too many awareness states');
  encoding.writeVarUint(e, n);
  for (let i = 0; i < n; i++) {
    const clientId = decoding.readVarUint(d);
    const clock = decoding.readVarUint(d);
    const json = decoding.readVarString(d);
    if (json.length > MAX_STATE_CHARS) throw new Error('awareness state too large');
    const state: unknown = JSON.parse(json);
    if (state !== null && (typeof state !== 'object' || Array.isArray(state))) throw new Error('awareness state must be an object');
    encoding.writeVarUint(e, clientId);
    encoding.writeVarUint(e, clock);
    encoding.writeVarString(e, JSON.stringify(state === null ? null : fix(state as Record<string, unknown>)));
  }
  return encoding.toUint8Array(e);
}

function cursorOf(state: Record<string, unknown>): unknown {
  const c = state.cursor;
  if (c === undefined || c === null || typeof c !== 'object' || Array.isArray(c)) return undefined;
  return JSON.stringify(c).length <= MAX_CURSOR_CHARS ? c : undefined;
}

function build(id: string, name: string, color: unknown, state: Record<string, unknown>): RelayedState {
  const safe = safeColor(color, id);
  const out: RelayedState = { user: { id, name, color: safe, colorLight: lightColor(safe) } };
  const cursor = cursorOf(state);
  if (cursor !== undefined) out.cursor = cursor;
  return out;
}

const userOf = (state: Record<string, unknown>): Record<string, unknown> =>
  (typeof state.user === 'object' && state.user && !Array.isArray(state.user) ? state.user : {}) as Record<string, unknown>;

/**
 * A local client's own awareness: `id` and `name` are the authenticated user's (nobody can show up as
 * someone else), the colour is kept only if it is `#rrggbb` (else the user's palette colour) and
 * `colorLight` is derived from it, so no peer string reaches another viewer's `style`.
 */
export function pinAwareness(update: Uint8Array, user: { id: string; name: string }): Uint8Array {
  return rewrite(update, (state) => build(user.id, user.name, userOf(state).color, state));
}

/**
 * Awareness relayed by another node: that node pinned identities already, so id and name are kept (as
 * bounded strings), and the same colour and field rules apply again, in case it runs older code.
 */
export function sanitizeRelayedAwareness(update: Uint8Array): Uint8Array {
  return rewrite(update, (state) => {
    const u = userOf(state);
    if (typeof u.id !== 'string') return null;
    return build(u.id.slice(0, MAX_NAME_CHARS), typeof u.name === 'string' ? u.name.slice(0, MAX_NAME_CHARS) : '', u.color, state);
  });
}
