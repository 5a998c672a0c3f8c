import { Migration } from '@mikro-orm/migrations';

/** Spine v2: outbox rows say whether they are facts or notices, who wrote them, and what an update changed. */
export class Migration20261202070000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "outbox_events" add column "kind" varchar(8) not null default 'fact', add column "actor_kind" varchar(8) not null default 'user',
      add column "actor_id" uuid null, add column "actor_name" varchar(200) not null default '', add column "request_id" varchar(64) null,
      add column "before" jsonb null, add column "changed" text[] null;`);
    // Rows written before this migration: inbox updates and lost-access "deletions" were per-user notices all along.
    this.addSql(
      `update "outbox_events" set "kind" = 'notice' where "type" = 'inbox.updated' or ("type" like '%.deleted' and "payload" ->> 'reason' = 'access_lost');`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "outbox_events" drop column "kind", drop column "actor_kind", drop column "actor_id", drop column "actor_name",
      drop column "request_id", drop column "before", drop column "changed";`);
  }
}
