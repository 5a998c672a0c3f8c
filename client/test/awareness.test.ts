import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Awareness, encodeAwarenessUpdate, applyAwarenessUpdate } from 'y-protocols/awareness';
import { guardAwarenessColors, peerOf } from '../src/lib/awareness';
import { colorFor } from '../src/lib/format';

const EVIL = 'red;background:url(http://tracker.example/x)';

describe('peer awareness in the note editor', () => {
  it('uses a peer colour only when it is #rrggbb, and names only as strings', () => {
    expect(peerOf({ user: { id: 'u1', name: 'Ann', color: '#12abEF' } })).toEqual({ id: 'u1', name: 'Ann', color: '#12abEF' });
    expect(peerOf({ user: { id: 'u1', name: 'Ann', color: EVIL } })).toEqual({ id: 'u1', name: 'Ann', color: colorFor('u1') });
    expect(peerOf({ user: { id: 'u1', name: { toString: 1 }, color: '#fff' } })).toEqual({ id: 'u1', name: '', color: colorFor('u1') });
    expect(peerOf({ user: { name: 'no id' } })).toBeNull();
    expect(peerOf(null)).toBeNull();
  });

  it("rewrites a remote state's color / colorLight before y-codemirror reads them", () => {
    const remote = new Awareness(new Y.Doc());
    const local = new Awareness(new Y.Doc());
    const seen: unknown[] = [];
    const unguard = guardAwarenessColors(local);
    // Registered after the guard, as yCollab is: it must only ever see safe values.
    local.on('change', () =>
      local.getStates().forEach((s, id) => {
        if (id !== local.clientID) seen.push(structuredClone(s.user));
      }),
    );
    remote.setLocalStateField('user', { id: 'u2', name: 'Bob', color: EVIL, colorLight: EVIL });
    applyAwarenessUpdate(local, encodeAwarenessUpdate(remote, [remote.clientID]), 'remote');
    const safe = colorFor('u2');
    expect(seen).toEqual([{ id: 'u2', name: 'Bob', color: safe, colorLight: safe + '33' }]);
    unguard();
  });
});
