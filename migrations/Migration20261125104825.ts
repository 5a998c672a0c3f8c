import { Migration } from '@mikro-orm/migrations';

export class Migration20261125104825 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "note_updates" ("id" bigserial primary key, "tenant_id" uuid not null, "doc" varchar(80) not null, "update" bytea not null, "created_at" timestamptz(3) not null default now());`,
    );
    this.addSql(`create index "note_updates_doc_id_idx" on "note_updates" ("doc", "id");`);

    this.addSql(
      `create table "note_snapshots" ("doc" varchar(80) not null, "tenant_id" uuid not null, "state" bytea not null, "last_update_id" bigint not null default 0, "updated_at" timestamptz(3) not null default now(), constraint "note_snapshots_pkey" primary key ("doc"));`,
    );

    this.addSql(
      `alter table "note_updates" add constraint "note_updates_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "note_snapshots" add constraint "note_snapshots_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "note_updates" cascade;`);

    this.addSql(`drop table if exists "note_snapshots" cascade;`);
  }
}
