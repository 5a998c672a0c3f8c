// Developer tool: diff the entity schemas against a scratch database and write a migration file.
//   DATABASE_URL=postgres://postgres@127.0.0.1/pulse_migrations npx tsx server/db/make-migration.ts
import fs from 'node:fs';
import path from 'node:path';
import { createOrm, migrationsPath } from './orm.js';

const orm = await createOrm({ databaseUrl: process.env.DATABASE_URL ?? null, dataDir: '.data/make-migration' });
const migrator = orm.getMigrator();
await migrator.up();
const result = await migrator.createMigration(undefined, false, process.argv.includes('--initial'));
if (result.fileName) {
  const name = result.fileName.replace(/\.ts$/, '');
  const index = path.join(migrationsPath, 'index.ts');
  let src = fs.readFileSync(index, 'utf8');
  src = src
    .replace(/\nexport const migrationsList/, `import { ${name} } from './${name}.js';\n\nexport const migrationsList`)
    .replace(/\n\n\nexport/, '\n\nexport');
  src = src.replace(/\];\s*$/, `  { name: '${name}', class: ${name} },\n];\n`);
  fs.writeFileSync(index, src);
  console.log(`wrote ${result.fileName} and listed it in migrations/index.ts`);
} else console.log('schema is up to date');
await orm.close(true);
