import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { entities } from './entities.js';
import { migrationsList } from '../../migrations/index.js';

export const migrationsPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

export interface OrmTarget {
  /** A PostgreSQL URL, or null for the embedded PGlite database in `dataDir`. */
  databaseUrl: string | null;
  dataDir?: string;
  poolMax?: number;
  debug?: boolean;
}

function baseOptions(): Partial<Options> {
  return {
    entities,
    extensions: [Migrator],
    migrations: {
      path: migrationsPath,
      pathTs: migrationsPath,
      migrationsList,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      emit: 'ts',
      silent: true,
    },
    // Requests fork explicitly; a global context would hide which unit of work a write belongs to.
    allowGlobalContext: false,
    forceUtcTimezone: true,
    discovery: { warnWhenNoEntities: true },
  };
}

export async function createOrm(target: OrmTarget): Promise<MikroORM> {
  if (target.databaseUrl) {
    return MikroORM.init({
      ...baseOptions(),
      clientUrl: target.databaseUrl,
      pool: { min: 0, max: target.poolMax ?? 10 },
      debug: target.debug ?? false,
    } as Options);
  }
  // The embedded default: PostgreSQL compiled to WASM, persisted in the data folder.
  const { PGlite } = await import('@electric-sql/pglite');
  const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
  const { PGliteDriver } = await import('mikro-orm-pglite');
  (await import('./pglite-statements.js')).countPgliteStatementsProperly();
  const dir = path.join(target.dataDir ?? '.data', 'pglite');
  fs.mkdirSync(dir, { recursive: true });
  const pglite = await PGlite.create(dir, { extensions: { pg_trgm } });
  const orm = await MikroORM.init({
    ...baseOptions(),
    driver: PGliteDriver as any,
    dbName: 'postgres',
    driverOptions: { connection: { pglite: () => pglite } },
    debug: target.debug ?? false,
  } as Options);
  const close = orm.close.bind(orm);
  orm.close = async (force?: boolean) => {
    await close(force);
    await pglite.close();
  };
  return orm;
}
