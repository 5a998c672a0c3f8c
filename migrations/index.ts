// Every migration, in order. Listed explicitly (not globbed) so they load the same under tsx, vitest
// and any bundler; server/db/make-migration.ts appends new ones here.
import { Migration20261125103713 } from './Migration20261125103713.js';
import { Migration20261125104825 } from './Migration20261125104825.js';
import { Migration20261125111325 } from './Migration20261125111325.js';
import { Migration20261202070000 } from './Migration20261202070000.js';
import { Migration20261202071500 } from './Migration20261202071500.js';
import { Migration20261202073000 } from './Migration20261202073000.js';
import { Migration20261202080000 } from './Migration20261202080000.js';

export const migrationsList = [
  { name: 'Migration20261125103713', class: Migration20261125103713 },
  { name: 'Migration20261125104825', class: Migration20261125104825 },
  { name: 'Migration20261125111325', class: Migration20261125111325 },
  { name: 'Migration20261202070000', class: Migration20261202070000 },
  { name: 'Migration20261202071500', class: Migration20261202071500 },
  { name: 'Migration20261202073000', class: Migration20261202073000 },
  { name: 'Migration20261202080000', class: Migration20261202080000 },
];
