import crypto from 'node:crypto';
import pg from 'pg';
import { createOrm } from '../../server/db/orm.js';
import { migrate } from '../../server/db/migrate.js';
import { createLogger } from '../../server/log.js';

/** The real PostgreSQL the tests run against (CI starts it; see .ci/run). */
export const PG_BASE = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A fresh, migrated database per test file, so files can run in parallel without seeing each other. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `pulse_t_${crypto.randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${PG_BASE}/postgres` });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = `${PG_BASE}/${name}`;
  const orm = await createOrm({ databaseUrl: url, poolMax: 2 });
  await migrate(orm, url, createLogger('silent'));
  await orm.close(true);
  return {
    url,
    async drop() {
      const c = new pg.Client({ connectionString: `${PG_BASE}/postgres` });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
