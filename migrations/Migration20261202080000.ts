import { Migration } from '@mikro-orm/migrations';

/**
 * Durable consumers (a cursor per consumer and tenant), the field-level audit log (the first consumer),
 * and the public record of background jobs (pg-boss runs them; this is what GET /api/jobs/:id reads).
 */
export class Migration20261202080000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "consumer_cursors" (
      "consumer" varchar(100) not null, "tenant_id" uuid not null references "tenants" ("id") on delete cascade,
      "last_seq" bigint not null default 0, "updated_at" timestamptz not null default now(),
      "last_error" text null, "last_error_at" timestamptz null, "attempts" int not null default 0,
      "retry_at" timestamptz null,
      constraint "consumer_cursors_pkey" primary key ("consumer", "tenant_id"));`);
    this.addSql(`create table "audit_log" (
      "tenant_id" uuid not null references "tenants" ("id") on delete cascade, "seq" bigint not null,
      "entity_type" varchar(40) not null, "entity_id" uuid not null, "type" varchar(60) not null,
      "actor_kind" varchar(8) not null, "actor_id" uuid null, "actor_name" varchar(200) not null default '',
      "request_id" varchar(64) null, "changed" text[] null, "before" jsonb null, "after" jsonb null,
      "at" timestamptz not null,
      constraint "audit_log_pkey" primary key ("tenant_id", "seq"));`);
    this.addSql(`create index "audit_log_entity_idx" on "audit_log" ("tenant_id", "entity_type", "entity_id", "seq" desc);`);
    this.addSql(`create table "jobs" (
      "id" uuid not null, "tenant_id" uuid not null references "tenants" ("id") on delete cascade,
      "kind" varchar(60) not null, "status" varchar(10) not null default 'queued',
      "started_by" uuid null, "total" int not null default 0, "done" int not null default 0, "failed" int not null default 0,
      "error" text null, "attempts" int not null default 0, "data" jsonb not null default '{}',
      "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(),
      constraint "jobs_pkey" primary key ("id"));`);
    this.addSql(`create index "jobs_tenant_idx" on "jobs" ("tenant_id", "created_at" desc);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "jobs";`);
    this.addSql(`drop table if exists "audit_log";`);
    this.addSql(`drop table if exists "consumer_cursors";`);
  }
}
