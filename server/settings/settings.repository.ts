import { TenantSettings, type TenantSettingsRecord } from '../../shared/schemas.js';
import { one, run, type Em } from '../db/sql.js';

/** What a tenant gets before an admin changes anything. */
export const DEFAULT_SETTINGS: TenantSettingsRecord = { timezone: 'UTC', defaultPhoneRegion: 'US', defaultCurrency: 'USD' };

/**
 * Stored values over the defaults. A stored value that no longer validates (a time zone the runtime
 * dropped) falls back to the default rather than breaking every report.
 */
export function withDefaults(stored: unknown): TenantSettingsRecord {
  const out: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  const shape = TenantSettings.shape;
  for (const [k, v] of Object.entries((stored ?? {}) as Record<string, unknown>)) {
    const field = shape[k as keyof typeof shape];
    if (field && field.safeParse(v).success) out[k] = field.parse(v);
  }
  return out as TenantSettingsRecord;
}

export const settingsRepository = {
  async load(em: Em, tenantId: string, lock = false): Promise<TenantSettingsRecord> {
    const r = await one<{ settings: unknown }>(em, `select settings from tenants where id = ?${lock ? ' for update' : ''}`, [tenantId]);
    return withDefaults(typeof r?.settings === 'string' ? JSON.parse(r.settings) : r?.settings);
  },
  async save(em: Em, tenantId: string, s: TenantSettingsRecord): Promise<void> {
    await run(em, 'update tenants set settings = ?::jsonb where id = ?', [JSON.stringify(s), tenantId]);
  },
};
