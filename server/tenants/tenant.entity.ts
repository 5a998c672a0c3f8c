import { EntitySchema } from '@mikro-orm/core';
import { id, createdAt } from '../db/columns.js';

export const Tenant = new EntitySchema<any>({
  name: 'Tenant',
  tableName: 'tenants',
  properties: {
    id,
    name: { type: 'string', length: 200 },
    // Per-tenant event counter. Bumped last in every writing transaction, its row lock orders the
    // tenant's outbox events by commit, so a reader never sees seq N+1 before N is visible.
    eventSeq: { type: 'bigint', defaultRaw: '0' },
    // Tenant-wide settings (server/settings): validated in the app, defaults filled in on read.
    settings: { type: 'json', columnType: 'jsonb', defaultRaw: `'{}'::jsonb` },
    createdAt,
  },
});
