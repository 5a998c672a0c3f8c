import { EntitySchema } from '@mikro-orm/core';
import { tenant, createdAt } from '../db/columns.js';

export const OutboxEvent = new EntitySchema<any>({
  name: 'OutboxEvent',
  tableName: 'outbox_events',
  properties: {
    tenant: { ...tenant, primary: true },
    // Monotonic per tenant and gap-free, assigned from tenants.event_seq inside the writing transaction.
    seq: { type: 'bigint', primary: true },
    type: { type: 'string', length: 64 },
    entityType: { type: 'string', length: 32 },
    entityId: { type: 'uuid' },
    payload: { type: 'json', columnType: 'jsonb' },
    // Users allowed to receive the event, computed by the visibility module when it was written.
    audience: { type: 'uuid[]', columnType: 'uuid[]' },
    createdAt,
    publishedAt: { type: 'datetime', length: 3, nullable: true },
  },
  indexes: [
    { name: 'outbox_unpublished_idx', expression: 'create index "outbox_unpublished_idx" on "outbox_events" ("tenant_id", "seq") where "published_at" is null' },
    { name: 'outbox_created_idx', properties: ['createdAt'] },
  ],
});
