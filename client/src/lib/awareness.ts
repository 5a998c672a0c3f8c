import type { Awareness } from 'y-protocols/awareness';
import { SAFE_COLOR, colorFor, lightColor } from '../../../shared/user-color';

/** Another editor on the note, as the badge shows them. */
export interface Peer {
  id: string;
  name: string;
  color: string;
}

/**
 * Reads a peer's awareness state into what the badge may use: strings only, the colour only when it is
 * exactly `#rrggbb` (else the user's palette colour). The server pins these already; the client does not
 * rely on it, since a peer's string in a `style` attribute is CSS injection (`red;background:url(...)`).
 */
export function peerOf(state: unknown): Peer | null {
  const u = (state as { user?: unknown } | null)?.user as { id?: unknown; name?: unknown; color?: unknown } | undefined;
  if (!u || typeof u.id !== 'string') return null;
  const color = typeof u.color === 'string' && SAFE_COLOR.test(u.color) ? u.color : colorFor(u.id);
  return { id: u.id, name: typeof u.name === 'string' ? u.name : '', color };
}

/**
 * y-codemirror draws remote cursors with `style="background-color: ${colorLight}"` straight from the
 * awareness state. This rewrites every remote state's `user.color` / `user.colorLight` to safe values in
 * place, before y-codemirror reads them: install it before `yCollab(...)` so its listener runs first.
 */
export function guardAwarenessColors(awareness: Awareness): () => void {
  const fix = () => {
    awareness.getStates().forEach((state, clientId) => {
      if (clientId === awareness.clientID) return;
      const u = (state as { user?: Record<string, unknown> }).user;
      if (!u || typeof u !== 'object') return;
      const id = typeof u.id === 'string' ? u.id : String(clientId);
      const color = typeof u.color === 'string' && SAFE_COLOR.test(u.color) ? u.color : colorFor(id);
      u.color = color;
      u.colorLight = lightColor(color);
      if (typeof u.name !== 'string') u.name = '';
    });
  };
  fix();
  awareness.on('change', fix);
  awareness.on('update', fix);
  return () => {
    awareness.off('change', fix);
    awareness.off('update', fix);
  };
}
