// Developer tool: diff the entity schemas against a scratch database and write a migration file.
//   DATABASE_URL=postgres://postgres@127.0.0.1/pulse_migrations npx tsx server/db/make-migration.ts
import { createOrm } from './orm.js';

const orm = await createOrm({ databaseUrl: process.env.DATABASE_URL ?? null, dataDir: '.data/make-migration' });
const migrator = orm.getMigrator();
await migrator.up();
const result = await migrator.createMigration(undefined, false, process.argv.includes('--initial'));
console.log(result.fileName ? `wrote ${result.fileName}` : 'schema is up to date');
await orm.close(true);
