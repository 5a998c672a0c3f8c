import type { z } from 'zod';
import type { DealCreateInput, DealPatchInput, DealRecord, MoveInput } from '../../shared/schemas.js';
import type { Tx } from '../db/write.js';
import type { Policy } from '../policy/policy.js';
import { isoOrNull, rows } from '../db/sql.js';
import { notFound, validationFailed, conflict, AppError } from '../http/errors.js';
import { validateCustomData } from '../custom-fields/custom-field.service.js';
import { loadPipeline, toStage, type StageRow } from '../pipelines/pipeline.repository.js';
import type { ActivityCommands } from '../activities/activity.commands.js';
import { noticeAccessChange } from '../policy/access-notices.js';
import { dealRepository as repo } from './deal.repository.js';
import { settingsRepository } from '../settings/settings.repository.js';

export const invalidStage = () => new AppError(422, 'INVALID_STAGE', "Stage does not belong to the deal's pipeline");
const versionConflict = (current: DealRecord | null) =>
  conflict('VERSION_CONFLICT', 'The deal was changed by someone else; reload and try again', { current });
const readOnlyContact = () => new AppError(403, 'READ_ONLY', 'This contact is shared with you read-only');

/**
 * Deal commands: each runs inside the caller's unit of work (`tx`), so a merge or an import chunk can
 * run several of them in one transaction. They check the policy, change rows through the repository
 * and append the facts; the service only opens the transaction.
 */
export class DealCommands {
  constructor(
    private policy: Policy,
    private activities: ActivityCommands,
  ) {}

  audience(tx: Tx, d: { ownerId: string }) {
    return this.policy.audience(tx.em, tx.tenantId, { owners: [d.ownerId] });
  }

  /**
   * A new link must point at a contact the writer may write to (a deal's activities and stage notes land
   * on that contact's timeline) and a company they can see; an invisible one reads as missing, so its
   * existence is not revealed. Keeping the link the deal already has is not making one: `cur` holds it.
   */
  private async checkRefs(
    tx: Tx,
    input: { ownerId?: string; contactId?: string | null; companyId?: string | null },
    cur: { contactId?: string | null; companyId?: string | null } = {},
  ) {
    const v = tx.viewer;
    if (input.ownerId && !(await this.policy.canAssignOwner(tx.em, v, input.ownerId)))
      throw validationFailed([{ path: 'ownerId', message: 'owner must be a user whose records you can see' }]);
    if (input.contactId && input.contactId !== cur.contactId) {
      const acc = await this.policy.contactAccess(tx.em, v, input.contactId);
      if (!acc) throw new AppError(422, 'INVALID_REFERENCE', 'Contact does not exist', { path: 'contactId' });
      if (acc !== 'write') throw readOnlyContact();
    }
    if (input.companyId && input.companyId !== cur.companyId && !(await this.policy.companyAccess(tx.em, v, input.companyId)))
      throw new AppError(422, 'INVALID_REFERENCE', 'Company does not exist', { path: 'companyId' });
  }

  async create(tx: Tx, input: z.output<typeof DealCreateInput>): Promise<DealRecord> {
    const v = tx.viewer;
    const pipeline = await loadPipeline(tx.em, tx.tenantId, input.pipelineId);
    if (!pipeline) throw new AppError(422, 'INVALID_REFERENCE', 'Pipeline does not exist', { path: 'pipelineId' });
    const stage = input.stageId ? pipeline.stages.find((s) => s.id === input.stageId) : pipeline.stages[0];
    if (!stage) throw invalidStage();
    const ownerId = input.ownerId ?? v.id;
    await this.checkRefs(tx, { ...input, ownerId });
    const customData = await validateCustomData(tx.em, tx.tenantId, 'DEAL', input.customData);
    const id = await repo.insert(tx.em, {
      tenantId: tx.tenantId,
      name: input.name,
      contactId: input.contactId ?? null,
      companyId: input.companyId ?? null,
      ownerId,
      pipelineId: pipeline.id,
      stageId: stage.id,
      amount: input.amount ?? '0',
      currency: input.currency ?? (await settingsRepository.load(tx.em, tx.tenantId)).defaultCurrency,
      closeDate: input.closeDate ?? null,
      status: stage.outcome,
      customData,
    });
    await repo.recordStage(tx.em, tx.tenantId, id, null, stage.id, v.id);
    const rec = (await repo.load(tx.em, id))!;
    tx.emit('deal.created', 'deal', id, rec, await this.audience(tx, rec));
    return rec;
  }

  async patch(tx: Tx, id: string, input: z.output<typeof DealPatchInput>): Promise<DealRecord> {
    const v = tx.viewer;
    if (!(await this.policy.dealAccess(tx.em, v, id))) throw notFound('Deal');
    const cur = (await repo.lock(tx.em, tx.tenantId, id))!;
    const reassigning = !!input.ownerId && input.ownerId !== cur.owner_id;
    if (reassigning && !(await this.policy.can(tx.em, v, 'reassign', { type: 'deal', id })))
      throw new AppError(403, 'FORBIDDEN', 'You may not reassign this deal');
    if (input.version !== undefined && input.version !== Number(cur.version)) throw versionConflict(await repo.load(tx.em, id));
    await this.checkRefs(tx, input, { contactId: cur.contact_id, companyId: cur.company_id });
    const before = (await repo.load(tx.em, id))!;
    const beforeAudience = await this.audience(tx, before);
    const customData = await validateCustomData(tx.em, tx.tenantId, 'DEAL', input.customData, cur.custom_data ?? {});
    const { version: _v, customData: _c, ...fields } = input;
    await repo.update(tx.em, id, { ...fields, customData });
    const rec = (await repo.load(tx.em, id))!;
    const audience = await this.audience(tx, rec);
    tx.emitUpdate('deal.updated', 'deal', before, rec, audience);
    if (reassigning) {
      noticeAccessChange(tx, { entityType: 'deal', entityId: id }, beforeAudience, audience, 'reassigned', {
        lost: { toOwnerId: rec.ownerId, pipelineId: rec.pipelineId, stageId: rec.stageId },
        record: rec,
      });
    }
    return rec;
  }

  async remove(tx: Tx, id: string): Promise<void> {
    if (!(await this.policy.can(tx.em, tx.viewer, 'delete', { type: 'deal', id }))) throw notFound('Deal');
    const rec = (await repo.load(tx.em, id))!;
    const audience = await this.audience(tx, rec);
    await repo.remove(tx.em, id);
    tx.emit('deal.deleted', 'deal', id, { id, pipelineId: rec.pipelineId, stageId: rec.stageId }, audience);
  }

  /**
   * The seed's DealService.move_stage, made safe under concurrency: the deal row is locked for the
   * whole move, so two concurrent moves serialise and each writes its own history row; a caller
   * holding a stale `version` gets 409 and nothing changes. Closing is decided by the stage's outcome.
   */
  async move(tx: Tx, id: string, input: z.output<typeof MoveInput>): Promise<DealRecord> {
    const v = tx.viewer;
    // Lock first, then decide visibility from the locked row: no window between the check and the change.
    const deal = await repo.lockForMove(tx.em, tx.tenantId, id, v.id);
    if (!deal || !(await this.policy.ownerInScope(tx.em, v, deal.owner_id))) throw notFound('Deal');
    if (input.version !== undefined && input.version !== Number(deal.version)) throw versionConflict(await repo.load(tx.em, id));
    const stages = await rows<StageRow>(tx.em, 'select * from stages where id in (?, ?) and tenant_id = ?', [
      input.stageId,
      deal.stage_id,
      tx.tenantId,
    ]);
    const target = stages.find((x) => x.id === input.stageId);
    if (!target || target.pipeline_id !== deal.pipeline_id) throw invalidStage();
    if (target.id === deal.stage_id) return (await repo.load(tx.em, id))!;
    const from = toStage(stages.find((x) => x.id === deal.stage_id)!);
    const to = toStage(target);
    const rec = await repo.setStage(tx.em, id, to.id, to.outcome);
    await repo.recordStage(tx.em, tx.tenantId, id, from.id, to.id, v.id);
    const audience = await this.audience(tx, rec);
    tx.emit(
      'deal.moved',
      'deal',
      id,
      { ...rec, fromStageId: from.id },
      audience,
      diffStage({ stageId: deal.stage_id, status: deal.status, closedAt: isoOrNull(deal.closed_at) }, rec),
    );
    // The stage note lands on the contact's timeline too, where the mover may write to the contact.
    const contact =
      deal.contact_id && deal.contact_owner_id
        ? {
            id: deal.contact_id,
            ownerId: deal.contact_owner_id,
            writable: await this.policy.writesContact(tx.em, v, { ownerId: deal.contact_owner_id, share: deal.contact_share }),
          }
        : null;
    await this.activities.logOnDeal(
      tx,
      { dealId: id, dealOwnerId: rec.ownerId, contact, subject: 'Stage changed', body: `Deal moved from ${from.name} to ${to.name}` },
      audience,
    );
    return rec;
  }
}

function diffStage(before: Pick<DealRecord, 'stageId' | 'status' | 'closedAt'>, after: DealRecord) {
  const changed = (['stageId', 'status', 'closedAt'] as const).filter((k) => before[k] !== after[k]);
  return { changed, before: Object.fromEntries(changed.map((k) => [k, before[k]])) };
}
