import type { z } from 'zod';
import type { CompanyCreateInput, CompanyPatchInput, CompanyRecord } from '../../shared/schemas.js';
import type { Tx } from '../db/write.js';
import type { Policy } from '../policy/policy.js';
import { notFound, validationFailed, AppError } from '../http/errors.js';
import { validateCustomData } from '../custom-fields/custom-field.service.js';
import { noticeAccessChange } from '../policy/access-notices.js';
import { companyRepository as repo } from './company.repository.js';

/** Company commands; each runs inside the caller's unit of work (see deal.commands.ts). */
export class CompanyCommands {
  constructor(private policy: Policy) {}

  audience(tx: Tx, c: { ownerId: string }) {
    return this.policy.audience(tx.em, tx.tenantId, { owners: [c.ownerId] });
  }

  private async checkOwner(tx: Tx, ownerId: string) {
    if (!(await this.policy.canAssignOwner(tx.em, tx.viewer, ownerId)))
      throw validationFailed([{ path: 'ownerId', message: 'owner must be a user whose records you can see' }]);
  }

  async create(tx: Tx, input: z.output<typeof CompanyCreateInput>): Promise<CompanyRecord> {
    const ownerId = input.ownerId ?? tx.viewer.id;
    await this.checkOwner(tx, ownerId);
    const customData = await validateCustomData(tx.em, tx.tenantId, 'COMPANY', input.customData);
    const id = await repo.insert(tx.em, tx.tenantId, {
      name: input.name,
      domain: input.domain ?? null,
      industry: input.industry ?? null,
      size: input.size ?? null,
      website: input.website ?? null,
      ownerId,
      customData,
    });
    const rec = (await repo.load(tx.em, id))!;
    tx.emit('company.created', 'company', id, rec, await this.audience(tx, rec));
    return rec;
  }

  async patch(tx: Tx, id: string, input: z.output<typeof CompanyPatchInput>): Promise<CompanyRecord> {
    if (!(await this.policy.companyAccess(tx.em, tx.viewer, id))) throw notFound('Company');
    const before = (await repo.lock(tx.em, id))!;
    const reassigning = !!input.ownerId && input.ownerId !== before.ownerId;
    if (reassigning && !(await this.policy.can(tx.em, tx.viewer, 'reassign', { type: 'company', id })))
      throw new AppError(403, 'FORBIDDEN', 'You may not reassign this company');
    if (input.ownerId) await this.checkOwner(tx, input.ownerId);
    const beforeAudience = reassigning ? await this.audience(tx, before) : [];
    const customData = await validateCustomData(tx.em, tx.tenantId, 'COMPANY', input.customData, before.customData);
    await repo.update(tx.em, id, { ...input, customData });
    const rec = (await repo.load(tx.em, id))!;
    const audience = await this.audience(tx, rec);
    tx.emitUpdate('company.updated', 'company', before, rec, audience);
    if (reassigning)
      noticeAccessChange(tx, { entityType: 'company', entityId: id }, beforeAudience, audience, 'reassigned', {
        lost: { toOwnerId: rec.ownerId },
        record: rec,
      });
    return rec;
  }

  async remove(tx: Tx, id: string): Promise<void> {
    if (!(await this.policy.can(tx.em, tx.viewer, 'delete', { type: 'company', id }))) throw notFound('Company');
    const rec = (await repo.lock(tx.em, id))!;
    const audience = await this.audience(tx, rec);
    await repo.remove(tx.em, id);
    tx.emit('company.deleted', 'company', id, { id }, audience);
  }
}
