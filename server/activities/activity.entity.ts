import { EntitySchema } from '@mikro-orm/core';
import { id, tenant, createdAt, updatedAt } from '../db/columns.js';

export const Activity = new EntitySchema<any>({
  name: 'Activity',
  tableName: 'activities',
  properties: {
    id,
    tenant,
    type: { enum: true, items: ['EMAIL', 'CALL', 'MEETING', 'NOTE', 'TASK'] },
    contact: { kind: 'm:1', entity: 'Contact', nullable: true, deleteRule: 'cascade' },
    deal: { kind: 'm:1', entity: 'Deal', nullable: true, deleteRule: 'cascade' },
    user: { kind: 'm:1', entity: 'User', deleteRule: 'restrict' },
    subject: { type: 'string', length: 300, nullable: true },
    body: { type: 'text', nullable: true },
    scheduledAt: { type: 'datetime', length: 3, nullable: true },
    completedAt: { type: 'datetime', length: 3, nullable: true },
    // When the owner was told this open task is overdue (by the overdue scheduler, or by the write that made it so);
    // null while that is still to come. Cleared when the task is rescheduled into the future or reopened.
    overdueNotifiedAt: { type: 'datetime', length: 3, nullable: true },
    createdAt,
    updatedAt,
  },
  indexes: [
    {
      name: 'activities_contact_timeline_idx',
      expression: 'create index "activities_contact_timeline_idx" on "activities" ("contact_id", "created_at" desc, "id" desc)',
    },
    {
      name: 'activities_deal_timeline_idx',
      expression: 'create index "activities_deal_timeline_idx" on "activities" ("deal_id", "created_at" desc, "id" desc)',
    },
    {
      name: 'activities_open_tasks_idx',
      expression: `create index "activities_open_tasks_idx" on "activities" ("user_id", "scheduled_at") where "type" = 'TASK' and "completed_at" is null`,
    },
    {
      name: 'activities_overdue_due_idx',
      expression: `create index "activities_overdue_due_idx" on "activities" ("scheduled_at") where "type" = 'TASK' and "completed_at" is null and "overdue_notified_at" is null`,
    },
    {
      name: 'activities_tenant_created_idx',
      expression: 'create index "activities_tenant_created_idx" on "activities" ("tenant_id", "created_at" desc, "id" desc)',
    },
  ],
});
