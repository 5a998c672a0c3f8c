import type { z } from 'zod';
import type { ActivityCreateInput, ActivityPatchInput, ActivityRecord } from '../../shared/schemas.js';
import type { Tx } from '../db/write.js';
import type { Policy } from '../policy/policy.js';
import { one, rows } from '../db/sql.js';
import { notFound, AppError } from '../http/errors.js';
import { activityRepository as repo } from './activity.repository.js';

const NIL = '00000000-0000-0000-0000-000000000000';
const readOnly = (what: string) => new AppError(403, 'READ_ONLY', what);

/** Activity commands; each runs inside the caller's unit of work (see deal.commands.ts). */
export class ActivityCommands {
  constructor(private policy: Policy) {}

  /** Everyone who may see the activity: through its contact, its deal, or as its author. */
  async audience(tx: Tx, a: ActivityRecord): Promise<string[]> {
    const owners = await rows<{ owner_id: string }>(
      tx.em,
      `select owner_id from contacts where id = ? union select owner_id from deals where id = ?`,
      [a.contactId ?? NIL, a.dealId ?? NIL],
    );
    return this.policy.audience(tx.em, tx.tenantId, { owners: owners.map((o) => o.owner_id), contacts: [a.contactId], users: [a.userId] });
  }

  /** Tells a task's owner their inbox changed, with the overdue count the badge shows (a notice: it is about one user's inbox). */
  async emitInbox(tx: Tx, task: ActivityRecord, reason: string): Promise<void> {
    if (task.type !== 'TASK') return;
    tx.notice(
      'inbox.updated',
      'activity',
      task.id,
      { userId: task.userId, reason, task, overdueCount: await repo.overdueCount(tx.em, task.userId) },
      [task.userId],
    );
  }

  /**
   * The contact an activity on a deal also lands on: the deal's contact, but only when the writer may
   * write to that contact. A READ share (or a revoked one) must not let anyone file onto its timeline.
   */
  private async derivedContact(tx: Tx, dealContactId: string | null): Promise<string | null> {
    if (!dealContactId) return null;
    return (await this.policy.can(tx.em, tx.viewer, 'link', { type: 'contact', id: dealContactId })) ? dealContactId : null;
  }

  private async checkParents(tx: Tx, contactId?: string | null, dealId?: string | null) {
    if (contactId) {
      const acc = await this.policy.contactAccess(tx.em, tx.viewer, contactId);
      if (!acc) throw new AppError(422, 'INVALID_REFERENCE', 'Contact does not exist', { path: 'contactId' });
      if (acc !== 'write') throw readOnly('This contact is shared with you read-only');
    }
    if (dealId && !(await this.policy.dealAccess(tx.em, tx.viewer, dealId)))
      throw new AppError(422, 'INVALID_REFERENCE', 'Deal does not exist', { path: 'dealId' });
  }

  async create(tx: Tx, input: z.output<typeof ActivityCreateInput>): Promise<ActivityRecord> {
    await this.checkParents(tx, input.contactId, input.dealId);
    let contactId = input.contactId ?? null;
    // An activity logged on a deal also lands on the deal's contact timeline (where the writer may write).
    if (!contactId && input.dealId)
      contactId = await this.derivedContact(
        tx,
        (await one<{ contact_id: string | null }>(tx.em, 'select contact_id from deals where id = ?', [input.dealId]))?.contact_id ?? null,
      );
    const rec = await repo.insert(tx.em, tx.tenantId, { ...input, contactId, dealId: input.dealId ?? null, userId: tx.viewer.id });
    if (rec.type === 'TASK' && rec.scheduledAt) await repo.syncOverdueMark(tx.em, rec.id);
    tx.emit('activity.created', 'activity', rec.id, rec, await this.audience(tx, rec));
    await this.emitInbox(tx, rec, 'created');
    return rec;
  }

  /** The NOTE a stage move leaves on the deal (and on its contact, where the mover may write there). */
  /**
   * The NOTE a stage move leaves on the deal, and on its contact where the mover may write there. The
   * caller read the contact's owner under its lock, so the audience needs no further lookups.
   */
  async logOnDeal(
    tx: Tx,
    a: { dealId: string; dealOwnerId: string; contact: { id: string; ownerId: string; writable: boolean } | null; subject: string; body: string },
    dealAudience: string[],
  ): Promise<ActivityRecord> {
    const onContact = a.contact?.writable ? a.contact : null;
    const rec = await repo.insert(tx.em, tx.tenantId, {
      type: 'NOTE',
      contactId: onContact?.id ?? null,
      dealId: a.dealId,
      userId: tx.viewer.id,
      subject: a.subject,
      body: a.body,
    });
    const audience =
      onContact || !dealAudience.includes(tx.viewer.id)
        ? await this.policy.audience(tx.em, tx.tenantId, {
            owners: [a.dealOwnerId, onContact?.ownerId],
            contacts: [onContact?.id],
            users: [tx.viewer.id],
          })
        : dealAudience;
    tx.emit('activity.created', 'activity', rec.id, rec, audience);
    return rec;
  }

  async patch(tx: Tx, id: string, input: z.output<typeof ActivityPatchInput>): Promise<ActivityRecord> {
    const acc = await this.policy.activityAccess(tx.em, tx.viewer, id);
    if (!acc) throw notFound('Activity');
    if (acc !== 'write') throw readOnly('You can read this activity but not change it');
    const before = (await repo.lock(tx.em, id))!;
    await repo.update(tx.em, id, input);
    if (input.scheduledAt !== undefined || input.completedAt !== undefined || input.completed !== undefined) await repo.syncOverdueMark(tx.em, id);
    const rec = (await repo.load(tx.em, id))!;
    tx.emitUpdate('activity.updated', 'activity', before, rec, await this.audience(tx, rec));
    if (rec.completedAt !== before.completedAt) await this.emitInbox(tx, rec, rec.completedAt ? 'completed' : 'reopened');
    else if (rec.scheduledAt !== before.scheduledAt) await this.emitInbox(tx, rec, 'rescheduled');
    else if (rec.subject !== before.subject) await this.emitInbox(tx, rec, 'updated');
    return rec;
  }

  async remove(tx: Tx, id: string): Promise<void> {
    const acc = await this.policy.activityAccess(tx.em, tx.viewer, id);
    if (!acc) throw notFound('Activity');
    if (acc !== 'write') throw readOnly('You can read this activity but not change it');
    const rec = (await repo.lock(tx.em, id))!;
    const audience = await this.audience(tx, rec);
    await repo.remove(tx.em, id);
    tx.emit('activity.deleted', 'activity', id, { id, contactId: rec.contactId, dealId: rec.dealId }, audience);
    if (rec.type === 'TASK' && !rec.completedAt) await this.emitInbox(tx, rec, 'deleted');
  }
}
