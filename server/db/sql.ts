import type { EntityManager } from '@mikro-orm/postgresql';
import type { AbstractSqlConnection, Knex } from '@mikro-orm/knex';

/**
 * Raw SQL through the MikroORM entity manager, so it runs inside whatever transaction the manager
 * is in. Placeholders are `?` (knex style); PostgreSQL's jsonb `?` operator must not be used here
 * (use jsonb_exists()).
 *
 * Parameters travel as real bind parameters ($1, $2, ... next to the statement), not inlined into the
 * SQL text: MikroORM's `em.execute(sql, params)` formats every parameter into the text as a quoted
 * literal before it reaches the driver (Platform.formatQuery), on pg and on PGlite alike. So the
 * query goes through the knex connection instead, joined to the manager's transaction when it has one.
 * Arrays go in as pgArray(...) and JSON as JSON.stringify(...), as before; a Date is sent as its ISO
 * text so both drivers store the same instant.
 */
export type Em = EntityManager;

type Param = string | number | boolean | bigint | null | Uint8Array;
/** An entity manager (joins its transaction), or a bare connection (a statement of its own, no unit of work). */
export type SqlTarget = Em | AbstractSqlConnection;

function bindable(v: unknown, i: number): Param {
  if (v === undefined || v === null) return null;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || Buffer.isBuffer(v)) return v;
  // pg sends only a Buffer as bytea (a bare Uint8Array it would JSON-encode); PGlite takes either.
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  // MikroORM used to splice arrays in as comma lists and objects as JSON; say so rather than guess.
  throw new TypeError(`SQL parameter ${i + 1} is ${Array.isArray(v) ? 'an array (pass pgArray(values))' : 'an object (pass JSON.stringify(value))'}`);
}

interface RawResult {
  rows?: unknown[];
  rowCount?: number | null;
  affectedRows?: number;
}

const isEm = (t: SqlTarget): t is Em => typeof (t as Em).getContext === 'function';

async function query(target: SqlTarget, sql: string, params: unknown[]): Promise<RawResult> {
  const conn = (isEm(target) ? target.getConnection() : target) as AbstractSqlConnection;
  await conn.ensureConnection();
  const q = conn.getKnex().raw(sql, params.map(bindable));
  // The same transaction em.execute() would join: the one this manager (or its context) is in.
  const trx = isEm(target) ? target.getContext(false).getTransactionContext<Knex.Transaction>() : undefined;
  if (trx) q.transacting(trx);
  try {
    const res = (await q) as RawResult | RawResult[];
    // A single statement answers one result; PGlite's exec path answers a list for several.
    return Array.isArray(res) ? (res[res.length - 1] ?? {}) : res;
  } catch (err) {
    // The driver exceptions em.execute() throws (UniqueConstraintViolationException, ... with .code).
    throw conn
      .getPlatform()
      .getExceptionConverter()
      .convertException(err as Error);
  }
}

export async function rows<T = any>(em: SqlTarget, sql: string, params: unknown[] = []): Promise<T[]> {
  return ((await query(em, sql, params)).rows ?? []) as T[];
}

export async function one<T = any>(em: SqlTarget, sql: string, params: unknown[] = []): Promise<T | undefined> {
  return (await rows<T>(em, sql, params))[0];
}

export async function run(em: SqlTarget, sql: string, params: unknown[] = []): Promise<number> {
  const res = await query(em, sql, params);
  return Number(res.affectedRows ?? res.rowCount ?? 0);
}

/** A PostgreSQL array literal, for `= ANY(?::uuid[])` style parameters. */
export function pgArray(values: readonly string[]): string {
  return '{' + values.map((v) => '"' + String(v).replace(/(["\\])/g, '\\$1') + '"').join(',') + '}';
}

export const iso = (d: unknown): string => (d instanceof Date ? d : new Date(d as string)).toISOString();
export const isoOrNull = (d: unknown): string | null => (d == null ? null : iso(d));
/** numeric comes back as a string from both drivers; normalise to two decimals. */
export const money = (v: unknown): string => {
  if (v == null) return '0.00';
  const s = String(v);
  const [i, f = ''] = s.split('.');
  return `${i}.${(f + '00').slice(0, 2)}`;
};
