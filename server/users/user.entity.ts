import { EntitySchema } from '@mikro-orm/core';
import { id, tenant, createdAt, updatedAt } from '../db/columns.js';

export const User = new EntitySchema<any>({
  name: 'User',
  tableName: 'users',
  properties: {
    id,
    tenant,
    name: { type: 'string', length: 200 },
    email: { type: 'string', length: 320 },
    passwordHash: { type: 'string', length: 255 },
    role: { enum: true, items: ['ADMIN', 'MANAGER', 'REP'], nativeEnumName: undefined },
    manager: { kind: 'm:1', entity: 'User', nullable: true, deleteRule: 'set null', index: 'users_manager_idx' },
    createdAt,
    updatedAt,
  },
  indexes: [
    { name: 'users_tenant_email_uniq', expression: 'create unique index "users_tenant_email_uniq" on "users" ("tenant_id", lower("email"))' },
    { name: 'users_email_lower_idx', expression: 'create index "users_email_lower_idx" on "users" (lower("email"))' },
  ],
});

export const Session = new EntitySchema<any>({
  name: 'Session',
  tableName: 'sessions',
  properties: {
    id,
    tokenHash: { type: 'string', length: 64, unique: true },
    user: { kind: 'm:1', entity: 'User', deleteRule: 'cascade' },
    tenant,
    createdAt,
    expiresAt: { type: 'datetime', length: 3 },
  },
});
