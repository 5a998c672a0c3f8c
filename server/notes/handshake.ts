import type http from 'node:http';
import type { PulseContext } from '../extension.js';
import type { Viewer } from '../auth/viewer.js';
import { sameOrigin, sessionCookieToken } from '../auth/session-cookie.js';
import { parseDocName, type DocName } from './doc-name.js';
import { accessOf } from './access.js';
import { CLOSE_BAD_MESSAGE, CLOSE_NOT_FOUND, CLOSE_TOO_LARGE, CLOSE_UNAUTHENTICATED } from './protocol.js';

export const YJS_PREFIX = '/yjs/';

/** The largest single message a client may send (also the WebSocket server's maxPayload). */
export const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

export type Admission =
  | { ok: true; viewer: Viewer; token: string; name: DocName; access: 'write' | 'read' }
  | { ok: false; code: number; reason: string };

/**
 * Who is connecting and to what: the token parameter or the session cookie (the cookie only from our own
 * origin, against cross-site WebSocket hijacking), then the doc name and the user's access to its record.
 * Nothing is sent to the client before this says yes; an unknown doc and an invisible one look the same.
 */
export async function admit(ctx: PulseContext, req: http.IncomingMessage): Promise<Admission> {
  const url = new URL(req.url!, 'http://x');
  let token = url.searchParams.get('token');
  if (!token) {
    token = sessionCookieToken(req.headers.cookie);
    if (token && !sameOrigin(req)) return { ok: false, code: CLOSE_UNAUTHENTICATED, reason: 'cross-origin session cookie' };
  }
  const viewer = token ? await ctx.services.auth.authenticate(token) : null;
  if (!viewer || !token) return { ok: false, code: CLOSE_UNAUTHENTICATED, reason: 'UNAUTHENTICATED' };
  let raw = '';
  try {
    raw = decodeURIComponent(url.pathname.slice(YJS_PREFIX.length));
  } catch {
    /* stays invalid */
  }
  const name = parseDocName(raw);
  const access = name ? await accessOf(ctx, viewer, name) : null;
  if (!name || !access) return { ok: false, code: CLOSE_NOT_FOUND, reason: 'NOT_FOUND' };
  return { ok: true, viewer, token, name, access };
}

/**
 * The client speaks first (sync step 1, awareness); its messages wait here until the session is admitted.
 * A stock client sends a few small messages in that time. The queue is bounded by count and by bytes, so a
 * client that floods before it is even admitted cannot make the node hold 64 x 8 MiB for it.
 */
export class PreAuthQueue {
  private messages: Uint8Array[] = [];
  private size = 0;
  constructor(
    private readonly maxMessages = 64,
    private readonly maxBytes = MAX_MESSAGE_BYTES,
  ) {}

  /** Queues a message; returns the close code and reason when it does not fit, or null. */
  push(m: Uint8Array): { code: number; reason: string } | null {
    if (this.messages.length >= this.maxMessages)
      return { code: CLOSE_BAD_MESSAGE, reason: `over ${this.maxMessages} messages before the session was ready` };
    if (this.size + m.byteLength > this.maxBytes)
      return { code: CLOSE_TOO_LARGE, reason: `over ${this.maxBytes} bytes before the session was ready` };
    this.messages.push(m);
    this.size += m.byteLength;
    return null;
  }

  /** Hands over what was queued and forgets it. */
  drain(): Uint8Array[] {
    const out = this.messages;
    this.messages = [];
    this.size = 0;
    return out;
  }

  get bytes(): number {
    return this.size;
  }
}
