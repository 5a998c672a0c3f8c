import type { MikroORM } from '@mikro-orm/postgresql';

/** What pg-boss needs from a database: run one SQL text with `$n` parameters and give back rows. */
export interface BossDb {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: any[] }>;
}

interface RawConn {
  query(text: string, values?: unknown[]): Promise<{ rows?: any[] } | any>;
  exec?(text: string): Promise<{ rows?: any[] }[]>;
}

/**
 * pg-boss over MikroORM's own connection pool, so it runs on PostgreSQL and on the embedded PGlite alike
 * without a second pool. Each call borrows a connection from knex's pool and gives it back: on PGlite
 * that pool has one connection, so pg-boss's statements queue behind (never inside) an open write
 * transaction. Multi-statement text without parameters (pg-boss's schema install) goes through PGlite's
 * `exec`, since its `query` takes one statement.
 */
export function bossDb(orm: MikroORM): BossDb {
  const knex = orm.em.getConnection().getKnex();
  const client = knex.client as unknown as { acquireConnection(): Promise<RawConn>; releaseConnection(c: RawConn): Promise<void> };
  return {
    async executeSql(text, values = []) {
      const conn = await client.acquireConnection();
      try {
        if (!values.length && conn.exec && /;\s*\S/.test(text)) {
          const results = await conn.exec(text);
          return { rows: results[results.length - 1]?.rows ?? [] };
        }
        const r = await conn.query(text, values);
        return { rows: r?.rows ?? [] };
      } finally {
        await client.releaseConnection(conn);
      }
    },
  };
}
