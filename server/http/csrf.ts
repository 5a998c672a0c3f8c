import type { RequestHandler } from 'express';
import { AppError, errorBody } from './errors.js';
import { fromOwnOrigin, ridesSessionCookie, UNSAFE_METHODS } from '../auth/session-cookie.js';

const refuse = (res: Parameters<RequestHandler>[1]) =>
  res.status(403).json(errorBody(new AppError(403, 'FORBIDDEN', 'Cross-origin request with the session cookie refused')));

/**
 * Every state-changing /api request that authenticates with the session cookie must come from our own
 * origin (the rule is in auth/session-cookie.ts `fromOwnOrigin`). Runs before body parsing and auth,
 * so a forged request is refused before it costs anything. Bearer-token requests pass untouched.
 */
export const refuseCrossSiteCookieWrites: RequestHandler = (req, res, next) => {
  if (!UNSAFE_METHODS.has(req.method) || !ridesSessionCookie(req) || fromOwnOrigin(req)) {
    next();
    return;
  }
  refuse(res);
};

/**
 * For the routes that set the cookie (login, signup): a foreign page must not sign a visitor into an
 * account of the attacker's choosing (login CSRF), cookie or not.
 */
export const refuseForeignOrigin: RequestHandler = (req, res, next) => {
  if (fromOwnOrigin(req)) {
    next();
    return;
  }
  refuse(res);
};
