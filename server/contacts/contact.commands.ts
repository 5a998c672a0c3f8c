import type { z } from 'zod';
import type { ContactCreateInput, ContactPatchInput, ContactRecord, ShareInput, ShareRecord } from '../../shared/schemas.js';
import type { Tx } from '../db/write.js';
import type { Policy } from '../policy/policy.js';
import { one } from '../db/sql.js';
import { notFound, validationFailed, AppError } from '../http/errors.js';
import { validateCustomData } from '../custom-fields/custom-field.service.js';
import { noticeAccessChange } from '../policy/access-notices.js';
import { contactRepository as repo, duplicateEmail } from './contact.repository.js';

/** Contact commands; each runs inside the caller's unit of work (see deal.commands.ts). */
export class ContactCommands {
  constructor(private policy: Policy) {}

  /** Everyone who may see the contact: the owner side, admins, and whoever it is shared with. */
  audience(tx: Tx, c: { id: string; ownerId: string }) {
    return this.policy.audience(tx.em, tx.tenantId, { owners: [c.ownerId], contacts: [c.id] });
  }

  /** An owner-side action (reassign, share, delete): 403 for a share holder, 404 for anyone who cannot see the contact. */
  private async requireOwnerSide(tx: Tx, action: 'reassign' | 'share' | 'delete', id: string, what: string): Promise<void> {
    if (await this.policy.can(tx.em, tx.viewer, action, { type: 'contact', id })) return;
    if (await this.policy.contactAccess(tx.em, tx.viewer, id)) throw new AppError(403, 'FORBIDDEN', `Only the owner side can ${what}`);
    throw notFound('Contact');
  }

  /** A new company link must point at a company the writer can see; keeping the current one is always allowed. */
  private async checkRefs(tx: Tx, ownerId: string | undefined, companyId: string | null | undefined, curCompanyId: string | null = null) {
    if (ownerId && !(await this.policy.canAssignOwner(tx.em, tx.viewer, ownerId)))
      throw validationFailed([{ path: 'ownerId', message: 'owner must be a user whose records you can see' }]);
    if (companyId && companyId !== curCompanyId && !(await this.policy.companyAccess(tx.em, tx.viewer, companyId))) {
      throw new AppError(422, 'INVALID_REFERENCE', 'Company does not exist', { path: 'companyId' });
    }
  }

  async create(tx: Tx, input: z.output<typeof ContactCreateInput>): Promise<ContactRecord> {
    const ownerId = input.ownerId ?? tx.viewer.id;
    await this.checkRefs(tx, ownerId, input.companyId);
    if (input.email && (await repo.emailTaken(tx.em, tx.tenantId, input.email))) throw duplicateEmail();
    const customData = await validateCustomData(tx.em, tx.tenantId, 'CONTACT', input.customData);
    const id = await repo.insert(tx.em, tx.tenantId, {
      firstName: input.firstName,
      lastName: input.lastName ?? '',
      email: input.email ?? null,
      phone: input.phone ?? null,
      companyId: input.companyId ?? null,
      jobTitle: input.jobTitle ?? null,
      source: input.source ?? null,
      ownerId,
      tags: input.tags ?? [],
      customData,
    });
    const rec = (await repo.load(tx.em, id))!;
    tx.emit('contact.created', 'contact', id, rec, await this.audience(tx, rec));
    return rec;
  }

  async patch(tx: Tx, id: string, input: z.output<typeof ContactPatchInput>): Promise<ContactRecord> {
    const access = await this.policy.contactAccess(tx.em, tx.viewer, id);
    if (!access) throw notFound('Contact');
    if (access !== 'write') throw new AppError(403, 'READ_ONLY', 'This contact is shared with you read-only');
    const before = (await repo.lock(tx.em, id))!;
    const reassigning = !!input.ownerId && input.ownerId !== before.ownerId;
    // A WRITE share lets you edit the contact, not give it away.
    if (reassigning) await this.requireOwnerSide(tx, 'reassign', id, 'reassign a contact');
    const beforeAudience = reassigning ? await this.audience(tx, before) : [];
    await this.checkRefs(tx, input.ownerId, input.companyId, before.companyId);
    if (input.email && (await repo.emailTaken(tx.em, tx.tenantId, input.email, id))) throw duplicateEmail();
    const customData = await validateCustomData(tx.em, tx.tenantId, 'CONTACT', input.customData, before.customData);
    await repo.update(tx.em, id, { ...input, customData });
    const rec = (await repo.load(tx.em, id))!;
    const audience = await this.audience(tx, rec);
    tx.emitUpdate('contact.updated', 'contact', before, rec, audience);
    if (reassigning)
      noticeAccessChange(tx, { entityType: 'contact', entityId: id }, beforeAudience, audience, 'reassigned', {
        lost: { toOwnerId: rec.ownerId },
        record: rec,
      });
    return rec;
  }

  async remove(tx: Tx, id: string): Promise<void> {
    await this.requireOwnerSide(tx, 'delete', id, 'delete a contact');
    const rec = (await repo.lock(tx.em, id))!;
    const audience = await this.audience(tx, rec);
    await repo.remove(tx.em, id);
    tx.emit('contact.deleted', 'contact', id, { id }, audience);
  }

  async share(tx: Tx, contactId: string, input: z.output<typeof ShareInput>): Promise<ShareRecord> {
    await this.requireOwnerSide(tx, 'share', contactId, 'share a contact');
    const target = await one(tx.em, 'select id from users where id = ? and tenant_id = ?', [input.userId, tx.tenantId]);
    if (!target) throw new AppError(422, 'INVALID_REFERENCE', 'User does not exist', { path: 'userId' });
    const contact = (await repo.load(tx.em, contactId))!;
    const beforeAudience = await this.audience(tx, contact);
    const share = await repo.upsertShare(tx.em, tx.tenantId, contactId, input.userId, input.permission);
    const audience = await this.audience(tx, contact);
    tx.emit('share.created', 'contact', contactId, share, audience);
    // The new reader learns about the contact through the usual event, and is told why it appeared.
    tx.emit('contact.updated', 'contact', contactId, contact, audience);
    noticeAccessChange(tx, { entityType: 'contact', entityId: contactId }, beforeAudience, audience, 'shared', { record: contact });
    return share;
  }

  async unshare(tx: Tx, contactId: string, userId: string): Promise<void> {
    await this.requireOwnerSide(tx, 'share', contactId, 'change shares');
    const contact = (await repo.load(tx.em, contactId))!;
    const before = await this.audience(tx, contact);
    if (!(await repo.removeShare(tx.em, contactId, userId))) throw notFound('Share');
    const after = await this.audience(tx, contact);
    // The former reader hears the fact (their share is gone) and, if they no longer see the contact, a notice saying so.
    tx.emit('share.deleted', 'contact', contactId, { contactId, userId }, [...new Set([...before, userId])].sort());
    noticeAccessChange(tx, { entityType: 'contact', entityId: contactId }, before, after, 'unshared');
  }
}
