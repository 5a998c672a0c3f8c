import { EntitySchema } from '@mikro-orm/core';
import { tenant, createdAt } from '../db/columns.js';

export const OutboxEvent = new EntitySchema<any>({
  name: 'OutboxEvent',
  tableName: 'outbox_events',
  properties: {
    tenant: { ...tenant, primary: true },
    // Monotonic per tenant and gap-free, assigned from tenants.event_seq inside the writing transaction.
    seq: { type: 'bigint', primary: true },
    // 'fact' (a change to the data, read by durable consumers) or 'notice' (a per-user delivery: access, inbox).
    kind: { type: 'string', length: 8, default: 'fact' },
    type: { type: 'string', length: 64 },
    entityType: { type: 'string', length: 32 },
    entityId: { type: 'uuid' },
    payload: { type: 'json', columnType: 'jsonb' },
    // Users allowed to receive the event, computed by the visibility module when it was written.
    audience: { type: 'uuid[]', columnType: 'uuid[]' },
    // Who wrote it: a user, an API key (acting for its owner) or a named system job (actor_id null).
    actorKind: { type: 'string', length: 8, default: 'user' },
    actorId: { type: 'uuid', nullable: true },
    actorName: { type: 'string', length: 200, default: '' },
    requestId: { type: 'string', length: 64, nullable: true },
    // On updates: the previous values of the changed fields, and their names.
    before: { type: 'json', columnType: 'jsonb', nullable: true },
    changed: { type: 'text[]', columnType: 'text[]', nullable: true },
    createdAt,
    publishedAt: { type: 'datetime', length: 3, nullable: true },
  },
  indexes: [
    {
      name: 'outbox_unpublished_idx',
      expression: 'create index "outbox_unpublished_idx" on "outbox_events" ("tenant_id", "seq") where "published_at" is null',
    },
    { name: 'outbox_created_idx', properties: ['createdAt'] },
  ],
});
