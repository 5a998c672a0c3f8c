import { EntitySchema } from '@mikro-orm/core';
import { id, tenant, owner, customData, createdAt, updatedAt } from '../db/columns.js';

export const Company = new EntitySchema<any>({
  name: 'Company',
  tableName: 'companies',
  properties: {
    id,
    tenant,
    name: { type: 'string', length: 200 },
    domain: { type: 'string', length: 253, nullable: true },
    industry: { type: 'string', length: 100, nullable: true },
    size: { type: 'string', length: 50, nullable: true },
    website: { type: 'string', length: 2048, nullable: true },
    owner,
    customData,
    createdAt,
    updatedAt,
  },
  indexes: [
    { name: 'companies_tenant_owner_idx', properties: ['tenant', 'owner'] },
    { name: 'companies_tenant_name_idx', expression: 'create index "companies_tenant_name_idx" on "companies" ("tenant_id", lower("name"), "id")' },
  ],
});
