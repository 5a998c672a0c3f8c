import crypto from 'node:crypto';
import type { Request, Response, NextFunction } from 'express';

/** What a caller may send as X-Request-Id: short and plain, since it is logged and stored on outbox rows. */
const SAFE = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Gives every request an id: the caller's X-Request-Id when it is safe to keep (a proxy or a client
 * correlating its own logs), otherwise a fresh one. It is echoed back and recorded on every fact the
 * request writes.
 */
export function requestId() {
  return (req: Request, res: Response, next: NextFunction) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && SAFE.test(given) ? given : crypto.randomUUID();
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
    next();
  };
}
