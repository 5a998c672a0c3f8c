import { EntitySchema } from '@mikro-orm/core';
import { id, tenant, createdAt } from '../db/columns.js';

export const CustomField = new EntitySchema<any>({
  name: 'CustomField',
  tableName: 'custom_fields',
  properties: {
    id,
    tenant,
    entityType: { enum: true, items: ['CONTACT', 'DEAL', 'COMPANY'] },
    fieldName: { type: 'string', length: 63 },
    fieldType: { enum: true, items: ['TEXT', 'NUMBER', 'DATE', 'SELECT', 'MULTI_SELECT'] },
    options: { type: 'json', columnType: 'jsonb', nullable: true },
    indexed: { type: 'boolean', default: false },
    createdAt,
  },
  uniques: [{ name: 'custom_fields_tenant_entity_name_uniq', properties: ['tenant', 'entityType', 'fieldName'] }],
});
