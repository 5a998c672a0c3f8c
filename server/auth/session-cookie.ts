import type http from 'node:http';

export const SESSION_COOKIE = 'pulse_session';

/** The session token from a raw Cookie header (WebSocket upgrades arrive without cookie-parser). */
export function sessionCookieToken(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === SESSION_COOKIE) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return null;
      }
    }
  }
  return null;
}

/** Whether an Origin or Referer value names this server (same host and port as the Host header). */
function sameHost(url: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    return new URL(url).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}

/**
 * Browsers attach cookies to cross-site WebSocket handshakes and CORS does not apply to them, so a
 * page on another site could ride the session cookie into a socket (cross-site WebSocket hijacking).
 * A handshake authenticated by cookie must therefore come from our own origin; a token needs no check.
 */
export function sameOrigin(req: http.IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  return sameHost(origin, req.headers.host);
}

/**
 * Whether a state-changing request that rides the session cookie (or sets it: login, signup) was sent
 * by a page of our own origin, the CSRF defence for REST writes. SameSite=Lax alone is not enough: it
 * still sends the cookie from sibling subdomains (same-site) and on top-level POST navigations in
 * some browsers. The rule, first signal present wins:
 *  1. `Origin` present: it must name our host; anything else is refused, `Origin: null` too (sandboxed
 *     frames, data: and file: pages, cross-origin redirects send it).
 *  2. else `Sec-Fetch-Site` present: only `same-origin` (our page) or `none` (the user's own action,
 *     e.g. a bookmark) pass; `same-site` and `cross-site` are refused.
 *  3. else `Referer` present: its origin must name our host (we send Referrer-Policy: same-origin, so
 *     our own pages always include it).
 *  4. none of them: allowed. That is not a browser (curl, scripts, server-to-server); every current
 *     browser sends Origin on a cross-origin POST, PUT, PATCH or DELETE.
 * Requests authenticated with `Authorization: Bearer` are not subject to this: a foreign page cannot
 * set that header without a CORS preflight, which this server never grants.
 */
export function fromOwnOrigin(req: http.IncomingMessage): boolean {
  const h = req.headers;
  if (typeof h.origin === 'string') return sameHost(h.origin, h.host);
  const site = h['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin' || site === 'none';
  if (typeof h.referer === 'string') return sameHost(h.referer, h.host);
  return true;
}

/** Methods that change state; GET, HEAD and OPTIONS must not and need no CSRF check. */
export const UNSAFE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Whether the request authenticates with the session cookie (no bearer token, the cookie present). */
export function ridesSessionCookie(req: http.IncomingMessage): boolean {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return false;
  return sessionCookieToken(req.headers.cookie) !== null;
}
