import { EntitySchema } from '@mikro-orm/core';
import { id, tenant, owner, customData, createdAt, updatedAt } from '../db/columns.js';

export const Deal = new EntitySchema<any>({
  name: 'Deal',
  tableName: 'deals',
  properties: {
    id,
    tenant,
    name: { type: 'string', length: 200 },
    contact: { kind: 'm:1', entity: 'Contact', nullable: true, deleteRule: 'set null' },
    company: { kind: 'm:1', entity: 'Company', nullable: true, deleteRule: 'set null' },
    owner,
    pipeline: { kind: 'm:1', entity: 'Pipeline', deleteRule: 'restrict' },
    stage: { kind: 'm:1', entity: 'Stage', deleteRule: 'restrict' },
    // Money is exact: numeric, carried as a string end to end.
    amount: { type: 'decimal', precision: 18, scale: 2, default: '0' },
    currency: { type: 'string', length: 3, columnType: 'char(3)', default: 'USD' },
    closeDate: { type: 'date', nullable: true },
    status: { enum: true, items: ['OPEN', 'WON', 'LOST'], default: 'OPEN' },
    customData,
    // Plain-text projection of the co-edited note, for previews and search.
    noteText: { type: 'text', nullable: true },
    version: { type: 'integer', default: 1 },
    createdAt,
    updatedAt,
    closedAt: { type: 'datetime', length: 3, nullable: true },
  },
  indexes: [
    { name: 'deals_tenant_owner_status_stage_idx', properties: ['tenant', 'owner', 'status', 'stage'] },
    { name: 'deals_pipeline_stage_idx', properties: ['pipeline', 'stage'] },
    { name: 'deals_contact_idx', properties: ['contact'] },
    { name: 'deals_company_idx', properties: ['company'] },
  ],
});

export const DealStageHistory = new EntitySchema<any>({
  name: 'DealStageHistory',
  tableName: 'deal_stage_history',
  properties: {
    id,
    tenant,
    deal: { kind: 'm:1', entity: 'Deal', deleteRule: 'cascade' },
    fromStage: { kind: 'm:1', entity: 'Stage', nullable: true, deleteRule: 'set null' },
    toStage: { kind: 'm:1', entity: 'Stage', deleteRule: 'restrict' },
    changedBy: { kind: 'm:1', entity: 'User', deleteRule: 'restrict' },
    changedAt: { type: 'datetime', length: 3, defaultRaw: 'now()' },
  },
  indexes: [{ name: 'deal_stage_history_deal_idx', properties: ['deal', 'changedAt'] }],
});
