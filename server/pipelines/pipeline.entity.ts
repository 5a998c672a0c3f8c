import { EntitySchema } from '@mikro-orm/core';
import { id, tenant, createdAt } from '../db/columns.js';

export const Pipeline = new EntitySchema<any>({
  name: 'Pipeline',
  tableName: 'pipelines',
  properties: {
    id,
    tenant,
    name: { type: 'string', length: 200 },
    createdAt,
  },
});

export const Stage = new EntitySchema<any>({
  name: 'Stage',
  tableName: 'stages',
  properties: {
    id,
    tenant,
    pipeline: { kind: 'm:1', entity: 'Pipeline', deleteRule: 'cascade' },
    name: { type: 'string', length: 100 },
    orderIndex: { type: 'integer' },
    winProbability: { type: 'smallint' },
    // Closing is decided by the outcome, never by the stage's name.
    outcome: { enum: true, items: ['OPEN', 'WON', 'LOST'], default: 'OPEN' },
  },
  indexes: [{ name: 'stages_pipeline_order_idx', properties: ['pipeline', 'orderIndex'] }],
});
