import { Migration } from '@mikro-orm/migrations';

export class Migration20261125111325 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "activities" add column "overdue_notified_at" timestamptz(3) null;`);
    // Tasks already overdue at upgrade were shown as overdue long ago: the scheduler should not announce them all at once.
    this.addSql(`update "activities" set "overdue_notified_at" = now() where "type" = 'TASK' and "completed_at" is null and "scheduled_at" < now();`);
    this.addSql(
      `create index "activities_overdue_due_idx" on "activities" ("scheduled_at") where "type" = 'TASK' and "completed_at" is null and "overdue_notified_at" is null;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "activities_overdue_due_idx";`);
    this.addSql(`alter table "activities" drop column "overdue_notified_at";`);
  }
}
