/** Column definitions shared by every entity schema, so each table spells them the same way. */
export const id = { type: 'uuid', primary: true } as const;
export const tenant = { kind: 'm:1', entity: 'Tenant', deleteRule: 'cascade' } as const;
export const createdAt = { type: 'datetime', length: 3, defaultRaw: 'now()' } as const;
export const updatedAt = { type: 'datetime', length: 3, defaultRaw: 'now()' } as const;
export const customData = { type: 'json', columnType: 'jsonb', defaultRaw: `'{}'::jsonb` } as const;
export const owner = { kind: 'm:1', entity: 'User', fieldName: 'owner_id', deleteRule: 'restrict' } as const;
