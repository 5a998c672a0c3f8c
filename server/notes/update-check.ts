import * as Y from 'yjs';

/** Per client, the clock just past the last struct an update brings (its structs start at or below what is known). */
export type Coverage = Map<number, number>;

export type UpdateVerdict =
  /** Nothing in it: no structs, no deletions. */
  | { kind: 'empty' }
  /** Applies cleanly on top of what is available. */
  | { kind: 'ok'; coverage: Coverage }
  /** Well formed, but it needs structs nobody has yet: Yjs would park it as pending (pendingStructs / pendingDs). */
  | { kind: 'incomplete'; reason: string; coverage: Coverage }
  /** Undecodable, or decodable but inconsistent in a way that makes Yjs throw while integrating it. */
  | { kind: 'fatal'; reason: string };

type Ref = { client: number; clock: number };
const isId = (v: unknown): v is Ref =>
  typeof v === 'object' && v !== null && typeof (v as Ref).client === 'number' && typeof (v as Ref).clock === 'number';

/** What a doc has integrated for a client (its state vector entry). */
export const stateOf =
  (doc: Y.Doc) =>
  (client: number): number =>
    Y.getState(doc.store, client);

/**
 * Checks a Yjs update without applying it, in O(update): decoding it, then the consistency rules
 * Yjs's integration relies on but does not check.
 *
 * Why not a trial doc: a trial needs the whole note in it (a 1.9 MB note takes ~100-300 ms to rebuild), and
 * a failed apply on the live doc leaves what integrated before the failure behind, unstored. The rules:
 * - An item's left origin, right origin and parent refer to structs that exist when it integrates. For
 *   another client's struct Yjs checks that itself (the item waits as pending); for the item's own client it
 *   assumes the struct exists (a client creates its items in clock order), and a forward reference makes
 *   `getItemCleanEnd`/`getItem` throw in the middle of the transaction. Such an update is `fatal`.
 * - With `available` (what the receiver has, or will have once queued updates are applied), structs must
 *   continue a client's clocks without a gap and references and deletions must point at known clocks;
 *   otherwise Yjs would park the update as pending: `incomplete`.
 */
export function checkUpdate(update: Uint8Array, available?: (client: number) => number): UpdateVerdict {
  let decoded: ReturnType<typeof Y.decodeUpdate>;
  try {
    decoded = Y.decodeUpdate(update);
  } catch {
    return { kind: 'fatal', reason: 'not a Yjs update' };
  }
  const { structs, ds } = decoded;
  if (structs.length === 0 && ds.clients.size === 0) return { kind: 'empty' };
  const start = new Map<number, number>();
  const coverage: Coverage = new Map();
  let incomplete: string | null = null;
  for (const s of structs) {
    const { client, clock } = s.id;
    if (s instanceof Y.Skip) {
      incomplete ??= `gap in the clocks of client ${client}`;
      continue;
    }
    const end = coverage.get(client);
    if (end === undefined) {
      start.set(client, clock);
      coverage.set(client, clock + s.length);
    } else if (clock === end) coverage.set(client, clock + s.length);
    else incomplete ??= `structs of client ${client} are not contiguous`;
    if (s instanceof Y.Item) {
      for (const ref of [s.origin, s.rightOrigin, isId(s.parent) ? s.parent : null]) {
        if (ref && ref.client === client && ref.clock >= clock) {
          return { kind: 'fatal', reason: `item ${client}:${clock} refers to ${ref.client}:${ref.clock}, a clock of its own client it precedes` };
        }
      }
    }
  }
  if (!available) return { kind: 'ok', coverage };
  // What exists once this update integrated: the receiver's clocks, extended by this update where it continues them.
  const known = (client: number): number => {
    const have = available(client);
    const from = start.get(client);
    return from !== undefined && from <= have ? Math.max(have, coverage.get(client)!) : have;
  };
  for (const [client, from] of start) {
    if (from > available(client)) incomplete ??= `client ${client} starts at clock ${from}, past the known ${available(client)}`;
  }
  for (const s of structs) {
    if (!(s instanceof Y.Item) || incomplete) continue;
    for (const ref of [s.origin, s.rightOrigin, isId(s.parent) ? s.parent : null]) {
      if (ref && ref.client !== s.id.client && ref.clock >= known(ref.client)) {
        incomplete = `item ${s.id.client}:${s.id.clock} needs ${ref.client}:${ref.clock}`;
        break;
      }
    }
  }
  for (const [client, ranges] of ds.clients) {
    const have = known(client);
    for (const r of ranges)
      if (r.clock + r.len > have) {
        incomplete ??= `deletes ${client}:${r.clock}+${r.len} beyond the known ${have}`;
        break;
      }
  }
  return incomplete ? { kind: 'incomplete', reason: incomplete, coverage } : { kind: 'ok', coverage };
}

/** Whether a doc has structs or deletions waiting for something it lacks. */
export const hasPending = (doc: Y.Doc): boolean => doc.store.pendingStructs !== null || doc.store.pendingDs !== null;
