import { EntitySchema } from '@mikro-orm/core';
import { id, tenant, owner, customData, createdAt, updatedAt } from '../db/columns.js';

export const Contact = new EntitySchema<any>({
  name: 'Contact',
  tableName: 'contacts',
  properties: {
    id,
    tenant,
    firstName: { type: 'string', length: 100 },
    lastName: { type: 'string', length: 100 },
    email: { type: 'string', length: 320, nullable: true },
    phone: { type: 'string', length: 50, nullable: true },
    company: { kind: 'm:1', entity: 'Company', nullable: true, deleteRule: 'set null' },
    jobTitle: { type: 'string', length: 200, nullable: true },
    source: { enum: true, items: ['INBOUND', 'OUTBOUND', 'REFERRAL'], nullable: true },
    owner,
    tags: { type: 'text[]', defaultRaw: `'{}'` },
    customData,
    createdAt,
    updatedAt,
  },
  indexes: [
    { name: 'contacts_tenant_owner_idx', properties: ['tenant', 'owner'] },
    { name: 'contacts_company_idx', properties: ['company'] },
    {
      name: 'contacts_tenant_email_uniq',
      expression: 'create unique index "contacts_tenant_email_uniq" on "contacts" ("tenant_id", lower("email")) where "email" is not null',
    },
    {
      name: 'contacts_tenant_created_idx',
      expression: 'create index "contacts_tenant_created_idx" on "contacts" ("tenant_id", "created_at" desc, "id" desc)',
    },
  ],
});

export const ContactShare = new EntitySchema<any>({
  name: 'ContactShare',
  tableName: 'contact_shares',
  properties: {
    contact: { kind: 'm:1', entity: 'Contact', primary: true, deleteRule: 'cascade' },
    user: { kind: 'm:1', entity: 'User', primary: true, deleteRule: 'cascade' },
    tenant,
    permission: { enum: true, items: ['READ', 'WRITE'] },
    createdAt: { type: 'datetime', length: 3, defaultRaw: 'now()' },
  },
  indexes: [{ name: 'contact_shares_user_idx', properties: ['user'] }],
});
