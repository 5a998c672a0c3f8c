import pg from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../log.js';

const MIGRATION_LOCK = 727_011_001;

/**
 * Applies pending migrations. Several nodes may start at once against one database: a session-level
 * advisory lock on a dedicated connection lets exactly one of them migrate while the others wait.
 */
export async function migrate(orm: MikroORM, databaseUrl: string | null, log: Logger): Promise<void> {
  if (!databaseUrl) {
    await orm.getMigrator().up();
    return;
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const done = await orm.getMigrator().up();
    if (done.length) log.info({ migrations: done.map((m) => m.name) }, 'applied migrations');
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    await client.end();
  }
}
