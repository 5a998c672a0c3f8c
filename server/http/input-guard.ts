import type { RequestHandler } from 'express';
import { validationFailed } from './errors.js';

const NUL = '\u0000';
/** Deeper than any request schema goes; a body this deep is refused by the schemas anyway. */
const MAX_SCAN_DEPTH = 64;

/**
 * The path (a.b.0.c) of the first string or key holding U+0000 in a parsed JSON body or query, or
 * null. Iterative, so a maliciously deep body cannot overflow the stack; anything nested deeper than
 * MAX_SCAN_DEPTH is reported as such, since no schema accepts it.
 */
export function findNul(value: unknown): { path: string; message: string } | null {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: '', depth: 0 }];
  while (stack.length) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes(NUL)) return { path, message: 'must not contain the NUL character (U+0000)' };
      continue;
    }
    if (!v || typeof v !== 'object') continue;
    if (depth >= MAX_SCAN_DEPTH) return { path, message: `nested deeper than ${MAX_SCAN_DEPTH} levels` };
    for (const [k, x] of Object.entries(v)) {
      const at = path ? `${path}.${k}` : k;
      if (k.includes(NUL)) return { path: at, message: 'names must not contain the NUL character (U+0000)' };
      stack.push({ v: x, path: at, depth: depth + 1 });
    }
  }
  return null;
}

/**
 * PostgreSQL text cannot hold U+0000 (text and jsonb refuse it), so a NUL anywhere in a request would
 * reach the database only to fail there as a 500. Refuse it once, here, for every route: JSON body
 * (values and keys, custom fields and tags included) and query string (values and keys). Path ids are
 * uuids, checked by the router; cursors are opaque and checked where they are decoded (db/keyset.ts).
 */
export const rejectNulInput: RequestHandler = (req, _res, next) => {
  const inQuery = findNul(req.query);
  if (inQuery) return next(validationFailed([{ ...inQuery, path: `query.${inQuery.path}` }], 'Query validation failed'));
  const inBody = findNul(req.body);
  if (inBody) return next(validationFailed([inBody]));
  next();
};
