import { Migration } from '@mikro-orm/migrations';

/**
 * Note log rows that cannot be applied (a poisoned or inconsistent Yjs update) are moved here when a node
 * finds them, so the note loads without them and nobody loses the bytes (issue 8, defect 2).
 */
export class Migration20261202071500 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "note_updates_quarantine" ("id" bigint not null, "tenant_id" uuid not null, "doc" varchar(80) not null, "update" bytea not null, "created_at" timestamptz(3) not null, "quarantined_at" timestamptz(3) not null default now(), "reason" text not null, constraint "note_updates_quarantine_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "note_updates_quarantine_doc_idx" on "note_updates_quarantine" ("doc");`);
    this.addSql(
      `alter table "note_updates_quarantine" add constraint "note_updates_quarantine_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "note_updates_quarantine" cascade;`);
  }
}
