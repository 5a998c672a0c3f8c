import type { z } from 'zod';
// A CommonJS package: Node's ESM loader only offers its default export.
import libphonenumber from 'google-libphonenumber';
import type { TenantSettingsPatch, TenantSettingsRecord } from '../../shared/schemas.js';
import type { Viewer } from '../auth/viewer.js';
import type { WritePath, Tx } from '../db/write.js';
import type { Policy } from '../policy/policy.js';
import { rows } from '../db/sql.js';
import { forbidden, validationFailed } from '../http/errors.js';
import { settingsRepository as repo } from './settings.repository.js';

const phoneRegions = new Set<string>(libphonenumber.PhoneNumberUtil.getInstance().getSupportedRegions());

/** Tenant settings: everyone in the tenant reads them (the client needs the time zone); admins change them. */
export class SettingsService {
  constructor(
    private wp: WritePath,
    private policy: Policy,
  ) {}

  get(v: Viewer): Promise<TenantSettingsRecord> {
    return repo.load(this.wp.read(), v.tenantId);
  }

  async patch(v: Viewer, input: z.output<typeof TenantSettingsPatch>): Promise<TenantSettingsRecord> {
    if (!this.policy.isAdmin(v)) throw forbidden('Only an admin can change workspace settings');
    // The shared schema checks the form; the full list of regions libphonenumber knows lives only on the server.
    if (input.defaultPhoneRegion && !phoneRegions.has(input.defaultPhoneRegion)) {
      throw validationFailed([{ path: 'defaultPhoneRegion', message: 'not a region phone numbers are known for' }]);
    }
    return this.wp.write(v, (tx) => this.apply(tx, input));
  }

  /** The command: one fact `settings.updated` for everyone in the tenant, with what changed. */
  async apply(tx: Tx, input: z.output<typeof TenantSettingsPatch>): Promise<TenantSettingsRecord> {
    const before = await repo.load(tx.em, tx.tenantId, true);
    const after: TenantSettingsRecord = { ...before, ...input };
    await repo.save(tx.em, tx.tenantId, after);
    const everyone = (await rows<{ id: string }>(tx.em, 'select id from users where tenant_id = ?', [tx.tenantId])).map((r) => r.id);
    tx.emitUpdate('settings.updated', 'tenant', { id: tx.tenantId, ...before }, { id: tx.tenantId, ...after }, everyone);
    return after;
  }
}
