import { Migration } from '@mikro-orm/migrations';

/** Tenant-wide settings as one validated jsonb object (server/settings); defaults live in the code. */
export class Migration20261202073000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "tenants" add column "settings" jsonb not null default '{}'::jsonb;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "tenants" drop column "settings";`);
  }
}
