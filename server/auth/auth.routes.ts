import type { Router, Request, Response, NextFunction } from 'express';
import { route } from '../http/route.js';
import { AuthResult, LoginInput, SignupInput, UserRecord } from '../../shared/schemas.js';
import { AppError, errorBody } from '../http/errors.js';
import type { AuthService } from './auth.service.js';
import type { RateLimiter } from './rate-limit.js';
import type { UserService } from '../users/user.service.js';
import { SESSION_COOKIE } from './session-cookie.js';
import { refuseForeignOrigin } from '../http/csrf.js';

export function tokenFrom(req: { headers: Record<string, any>; cookies?: Record<string, string> }): string | null {
  const h = req.headers.authorization;
  if (typeof h === 'string' && h.startsWith('Bearer ')) return h.slice(7).trim();
  return req.cookies?.[SESSION_COOKIE] ?? null;
}

/** The id the request-id middleware (server/http/request-id.ts) gave this request. */
const requestIdOf = (res: Response): string | null => (typeof res.locals.requestId === 'string' ? res.locals.requestId : null);

/** Every route but the public ones needs a valid bearer token or session cookie. */
export function requireAuth(auth: AuthService) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const viewer = await auth.authenticate(tokenFrom(req as any));
      if (!viewer) {
        res.status(401).json(errorBody(new AppError(401, 'UNAUTHENTICATED', 'Sign in first')));
        return;
      }
      // The request id goes onto every outbox row this request writes, so a fact can be traced to its request.
      (req as any).viewer = { ...viewer, requestId: requestIdOf(res) };
      next();
    } catch (err) {
      next(err);
    }
  };
}

export function authRoutes(
  pub: Router,
  priv: Router,
  auth: AuthService,
  users: UserService,
  limiter: { account: RateLimiter; address: RateLimiter },
  opts: { cookieSecure: boolean; sessionTtlMs: number },
) {
  const setCookie = (res: Response, token: string) =>
    res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure: opts.cookieSecure, maxAge: opts.sessionTtlMs, path: '/' });

  route(
    pub,
    {
      method: 'post',
      path: '/auth/signup',
      summary: 'Create a workspace and its first admin',
      tag: 'auth',
      body: SignupInput,
      response: AuthResult,
      status: 201,
      auth: false,
    },
    async ({ body, req, res }) => {
      const wait = await limiter.address.hit(`signup:${req.ip}`);
      if (wait) throw new AppError(429, 'RATE_LIMITED', 'Too many sign-ups; try again later', { retryAfter: wait });
      const out = await auth.signup(body);
      setCookie(res, out.token);
      return out;
    },
    [refuseForeignOrigin],
  );

  route(
    pub,
    {
      method: 'post',
      path: '/auth/login',
      summary: 'Sign in; sets the session cookie and returns a bearer token',
      tag: 'auth',
      body: LoginInput,
      response: AuthResult,
      auth: false,
    },
    async ({ body, req, res }) => {
      // Both per address and per account, so neither one attacker nor a botnet against one account gets far.
      const waits = await Promise.all([limiter.address.hit(`login-ip:${req.ip}`), limiter.account.hit(`login-email:${body.email}`)]);
      const wait = Math.max(...waits);
      if (wait) {
        res.setHeader('Retry-After', String(wait));
        throw new AppError(429, 'RATE_LIMITED', 'Too many sign-in attempts; try again later', { retryAfter: wait });
      }
      const out = await auth.login(body);
      await limiter.account.reset(`login-email:${body.email}`);
      setCookie(res, out.token);
      return out;
    },
    [refuseForeignOrigin],
  );

  route(priv, { method: 'post', path: '/auth/logout', summary: 'End this session', tag: 'auth' }, async ({ req, res }) => {
    const t = tokenFrom(req as any);
    if (t) await auth.logout(t);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    return undefined;
  });

  route(priv, { method: 'get', path: '/me', summary: 'The signed-in user', tag: 'auth', response: UserRecord }, async ({ viewer }) =>
    users.get(viewer, viewer.id),
  );
}
