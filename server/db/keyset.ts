import { validationFailed } from '../http/errors.js';

/**
 * Keyset pagination on (sort value, id). The cursor carries the last row's sort value in PostgreSQL's
 * own text form and its id, so the next page starts exactly after it: no duplicates and no gaps even
 * when many rows share a sort value (e.g. activities created in the same millisecond).
 */
export interface SortSpec {
  expr: string;
  type: 'timestamptz' | 'numeric' | 'text' | 'date';
  dir: 'asc' | 'desc';
}

export function encodeCursor(sortText: string, id: string): string {
  return Buffer.from(JSON.stringify([sortText, id])).toString('base64url');
}

export function decodeCursor(cursor: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(v) &&
      v.length === 2 &&
      typeof v[0] === 'string' &&
      typeof v[1] === 'string' &&
      // A cursor is opaque to the input guard (base64): refuse a NUL here, PostgreSQL cannot cast it.
      /^[0-9a-f-]{36}$/i.test(v[1]) &&
      v[0].length < 400 &&
      !v[0].includes('\u0000')
    )
      return [v[0], v[1]];
  } catch {
    /* fall through */
  }
  throw validationFailed([{ path: 'cursor', message: 'invalid cursor' }], 'Invalid cursor');
}

/** The WHERE fragment that starts after the cursor, the ORDER BY, and the select list entry for the next cursor. */
export function keyset(sort: SortSpec, idCol: string, cursor: string | undefined) {
  const op = sort.dir === 'desc' ? '<' : '>';
  const where = cursor
    ? { sql: `(${sort.expr}, ${idCol}) ${op} (?::${sort.type}, ?::uuid)`, params: decodeCursor(cursor) as unknown[] }
    : { sql: 'true', params: [] as unknown[] };
  return {
    where,
    orderBy: `${sort.expr} ${sort.dir}, ${idCol} ${sort.dir}`,
    select: `(${sort.expr})::text as _sort`,
  };
}

/** Fetch limit+1 rows, return `limit` of them and the cursor of the last when there is more. */
export function pageOf<R extends { id: string; _sort: string }, T>(found: R[], limit: number, map: (r: R) => T) {
  const more = found.length > limit;
  const slice = more ? found.slice(0, limit) : found;
  const last = slice[slice.length - 1];
  return { items: slice.map(map), nextCursor: more && last ? encodeCursor(last._sort, last.id) : null };
}
