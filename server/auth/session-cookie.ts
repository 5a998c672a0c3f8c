import type http from 'node:http';

export const SESSION_COOKIE = 'pulse_session';

/** The session token from a raw Cookie header (WebSocket upgrades arrive without cookie-parser). */
export function sessionCookieToken(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === SESSION_COOKIE) {
      try { return decodeURIComponent(part.slice(i + 1).trim()); } catch { return null; }
    }
  }
  return null;
}

/**
 * Browsers attach cookies to cross-site WebSocket handshakes and CORS does not apply to them, so a
 * page on another site could ride the session cookie into a socket (cross-site WebSocket hijacking).
 * A handshake authenticated by cookie must therefore come from our own origin; a token needs no check.
 */
export function sameOrigin(req: http.IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  try { return new URL(origin).host === req.headers.host; } catch { return false; }
}
