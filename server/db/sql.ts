import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Raw SQL through the MikroORM entity manager, so it runs inside whatever transaction the manager
 * is in. Placeholders are `?` (knex style); PostgreSQL's jsonb `?` operator must not be used here
 * (use jsonb_exists()).
 */
export type Em = EntityManager;

export async function rows<T = any>(em: Em, sql: string, params: unknown[] = []): Promise<T[]> {
  const res: any = await em.execute(sql, params as any[], 'all');
  return (Array.isArray(res) ? res : res?.rows ?? []) as T[];
}

export async function one<T = any>(em: Em, sql: string, params: unknown[] = []): Promise<T | undefined> {
  return (await rows<T>(em, sql, params))[0];
}

export async function run(em: Em, sql: string, params: unknown[] = []): Promise<number> {
  const res: any = await em.execute(sql, params as any[], 'run');
  return Number(res?.affectedRows ?? res?.rowCount ?? 0);
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
