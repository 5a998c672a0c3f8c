import crypto from 'node:crypto';
import type { z } from 'zod';
import type { ContactCreateInput, ContactListQuery, ContactPatchInput, ContactRecord, ShareInput, ShareRecord } from '../../shared/schemas.js';
import type { Viewer } from '../auth/viewer.js';
import type { WritePath, Tx } from '../db/write.js';
import type { Visibility } from '../visibility/visibility.js';
import { one, rows, run, iso, pgArray, type Em } from '../db/sql.js';
import { keyset, pageOf, type SortSpec } from '../db/keyset.js';
import { notFound, validationFailed, conflict, AppError } from '../http/errors.js';
import { customFilters, validateCustomData } from '../custom-fields/custom-field.service.js';
import { escapeLike } from '../companies/company.service.js';

export function toContact(r: any): ContactRecord {
  return {
    id: r.id, firstName: r.first_name, lastName: r.last_name, email: r.email ?? null, phone: r.phone ?? null,
    companyId: r.company_id ?? null, jobTitle: r.job_title ?? null, source: r.source ?? null, ownerId: r.owner_id,
    tags: r.tags ?? [], customData: r.custom_data ?? {}, createdAt: iso(r.created_at), updatedAt: iso(r.updated_at),
  };
}

export const toShare = (r: any): ShareRecord => ({ contactId: r.contact_id, userId: r.user_id, permission: r.permission, createdAt: iso(r.created_at) });

const SORTS: Record<string, [string, SortSpec['type']]> = {
  createdAt: ['c.created_at', 'timestamptz'], updatedAt: ['c.updated_at', 'timestamptz'],
  name: [`lower(c.last_name || ' ' || c.first_name)`, 'text'],
};

const duplicateEmail = () => conflict('DUPLICATE_EMAIL', 'A contact with this email already exists');

export class ContactService {
  constructor(private wp: WritePath, private vis: Visibility) {}

  async list(v: Viewer, q: z.output<typeof ContactListQuery>, raw: Record<string, unknown>) {
    const em = this.wp.read();
    const vf = await this.vis.contacts(em, v, 'c');
    const cf = await customFilters(em, v.tenantId, 'CONTACT', raw, 'c');
    const [expr, type] = SORTS[q.sort];
    const ks = keyset({ expr, type, dir: q.order }, 'c.id', q.cursor);
    const where = [vf.sql, cf.sql, ks.where.sql];
    const params = [...vf.params, ...cf.params, ...ks.where.params];
    if (q.q) {
      const like = `%${escapeLike(q.q)}%`;
      where.push(`((c.first_name || ' ' || c.last_name) ilike ? or c.email ilike ? or c.phone ilike ?)`);
      params.push(like, like, like);
    }
    if (q.ownerId) { where.push('c.owner_id = ?'); params.push(q.ownerId); }
    if (q.companyId) { where.push('c.company_id = ?'); params.push(q.companyId); }
    if (q.tag) { where.push('? = any(c.tags)'); params.push(q.tag); }
    if (q.source) { where.push('c.source = ?'); params.push(q.source); }
    const found = await rows(em, `select c.*, ${ks.select} from contacts c where ${where.join(' and ')} order by ${ks.orderBy} limit ?`, [...params, q.limit + 1]);
    return pageOf(found, q.limit, toContact);
  }

  async get(v: Viewer, id: string, em: Em = this.wp.read()): Promise<ContactRecord & { access: 'read' | 'write' }> {
    const access = await this.vis.contactAccess(em, v, id);
    if (!access) throw notFound('Contact');
    return { ...toContact(await one(em, 'select * from contacts where id = ?', [id])), access };
  }

  /** Everyone who may see the contact, for its events. */
  audience(tx: { em: Em; viewer: Viewer }, c: { id: string; ownerId: string }) {
    return this.vis.audience(tx.em, tx.viewer.tenantId, { owners: [c.ownerId], contacts: [c.id] });
  }

  /** A new company link must point at a company the viewer can see; keeping the current one (`curCompanyId`) is always allowed. */
  private async checkRefs(em: Em, v: Viewer, ownerId: string | undefined, companyId: string | null | undefined, curCompanyId: string | null = null) {
    if (ownerId && !(await this.vis.canAssignOwner(em, v, ownerId))) throw validationFailed([{ path: 'ownerId', message: 'owner must be a user whose records you can see' }]);
    if (companyId && companyId !== curCompanyId && !(await this.vis.companyAccess(em, v, companyId))) {
      throw new AppError(422, 'INVALID_REFERENCE', 'Company does not exist', { path: 'companyId' });
    }
  }

  private async checkEmail(em: Em, v: Viewer, email: string | null | undefined, exceptId?: string) {
    if (!email) return;
    const dup = await one(em, 'select id from contacts where tenant_id = ? and lower(email) = lower(?) and id <> ?', [v.tenantId, email, exceptId ?? '00000000-0000-0000-0000-000000000000']);
    if (dup) throw duplicateEmail();
  }

  async create(v: Viewer, input: z.output<typeof ContactCreateInput>): Promise<ContactRecord> {
    return this.wp.write(v, async (tx) => {
      const ownerId = input.ownerId ?? v.id;
      await this.checkRefs(tx.em, v, ownerId, input.companyId);
      await this.checkEmail(tx.em, v, input.email);
      const custom = await validateCustomData(tx.em, v.tenantId, 'CONTACT', input.customData);
      const id = crypto.randomUUID();
      await run(tx.em, `insert into contacts (id, tenant_id, first_name, last_name, email, phone, company_id, job_title, source, owner_id, tags, custom_data)
        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::text[], ?::jsonb)`,
        [id, v.tenantId, input.firstName, input.lastName ?? '', input.email ?? null, input.phone ?? null, input.companyId ?? null,
          input.jobTitle ?? null, input.source ?? null, ownerId, pgArray(dedupe(input.tags ?? [])), JSON.stringify(custom)])
        .catch(mapUnique);
      const rec = toContact(await one(tx.em, 'select * from contacts where id = ?', [id]));
      tx.emit('contact.created', 'contact', id, rec, await this.audience(tx, rec));
      return rec;
    });
  }

  async patch(v: Viewer, id: string, input: z.output<typeof ContactPatchInput>): Promise<ContactRecord> {
    return this.wp.write(v, async (tx) => {
      const access = await this.vis.contactAccess(tx.em, v, id);
      if (!access) throw notFound('Contact');
      if (access !== 'write') throw new AppError(403, 'READ_ONLY', 'This contact is shared with you read-only');
      // A WRITE share lets you edit the contact, not give it away.
      if (input.ownerId && !(await this.vis.ownedScopeIncludes(tx.em, v, id))) throw new AppError(403, 'FORBIDDEN', 'Only the owner side can reassign a contact');
      const cur = await one(tx.em, 'select * from contacts where id = ? for update', [id]);
      const before = input.ownerId && input.ownerId !== cur.owner_id ? await this.audience(tx, { id, ownerId: cur.owner_id }) : null;
      await this.checkRefs(tx.em, v, input.ownerId, input.companyId, cur.company_id ?? null);
      if (input.email !== undefined) await this.checkEmail(tx.em, v, input.email, id);
      const custom = await validateCustomData(tx.em, v.tenantId, 'CONTACT', input.customData, cur.custom_data ?? {});
      const sets: string[] = []; const vals: unknown[] = [];
      const cols: [keyof typeof input, string][] = [['firstName', 'first_name'], ['lastName', 'last_name'], ['email', 'email'], ['phone', 'phone'],
        ['companyId', 'company_id'], ['jobTitle', 'job_title'], ['source', 'source'], ['ownerId', 'owner_id']];
      for (const [k, col] of cols) if (input[k] !== undefined) { sets.push(`${col} = ?`); vals.push(input[k]); }
      if (input.tags) { sets.push('tags = ?::text[]'); vals.push(pgArray(dedupe(input.tags))); }
      sets.push('custom_data = ?::jsonb', 'updated_at = now()'); vals.push(JSON.stringify(custom));
      await run(tx.em, `update contacts set ${sets.join(', ')} where id = ?`, [...vals, id]).catch(mapUnique);
      const rec = toContact(await one(tx.em, 'select * from contacts where id = ?', [id]));
      const audience = await this.audience(tx, rec);
      tx.emit('contact.updated', 'contact', id, rec, audience);
      const lost = before?.filter((u) => !audience.includes(u)) ?? [];
      if (lost.length) tx.emit('contact.deleted', 'contact', id, { id, reason: 'access_lost' }, lost);
      return rec;
    });
  }

  async remove(v: Viewer, id: string): Promise<void> {
    await this.wp.write(v, async (tx) => {
      if (!(await this.vis.ownedScopeIncludes(tx.em, v, id))) {
        if (await this.vis.contactAccess(tx.em, v, id)) throw new AppError(403, 'FORBIDDEN', 'Only the owner side can delete a contact');
        throw notFound('Contact');
      }
      const rec = toContact(await one(tx.em, 'select * from contacts where id = ? for update', [id]));
      const audience = await this.audience(tx, rec);
      await run(tx.em, 'delete from contacts where id = ?', [id]);
      tx.emit('contact.deleted', 'contact', id, { id }, audience);
    });
  }

  // ---- shares

  async listShares(v: Viewer, contactId: string): Promise<ShareRecord[]> {
    const em = this.wp.read();
    if (!(await this.vis.contactAccess(em, v, contactId))) throw notFound('Contact');
    return (await rows(em, 'select * from contact_shares where contact_id = ? order by created_at', [contactId])).map(toShare);
  }

  async share(v: Viewer, contactId: string, input: z.output<typeof ShareInput>): Promise<ShareRecord> {
    return this.wp.write(v, async (tx) => {
      if (!(await this.vis.ownedScopeIncludes(tx.em, v, contactId))) {
        if (await this.vis.contactAccess(tx.em, v, contactId)) throw new AppError(403, 'FORBIDDEN', 'Only the owner side can share a contact');
        throw notFound('Contact');
      }
      const target = await one(tx.em, 'select id from users where id = ? and tenant_id = ?', [input.userId, v.tenantId]);
      if (!target) throw new AppError(422, 'INVALID_REFERENCE', 'User does not exist', { path: 'userId' });
      await run(tx.em, `insert into contact_shares (contact_id, user_id, tenant_id, permission) values (?, ?, ?, ?)
        on conflict (contact_id, user_id) do update set permission = excluded.permission`, [contactId, input.userId, v.tenantId, input.permission]);
      const share = toShare(await one(tx.em, 'select * from contact_shares where contact_id = ? and user_id = ?', [contactId, input.userId]));
      const contact = toContact(await one(tx.em, 'select * from contacts where id = ?', [contactId]));
      const audience = await this.audience(tx, contact);
      tx.emit('share.created', 'contact', contactId, share, audience);
      // The new reader learns about the contact through the usual event.
      tx.emit('contact.updated', 'contact', contactId, contact, audience);
      return share;
    });
  }

  async unshare(v: Viewer, contactId: string, userId: string): Promise<void> {
    await this.wp.write(v, async (tx) => {
      if (!(await this.vis.ownedScopeIncludes(tx.em, v, contactId))) {
        if (await this.vis.contactAccess(tx.em, v, contactId)) throw new AppError(403, 'FORBIDDEN', 'Only the owner side can change shares');
        throw notFound('Contact');
      }
      const contact = toContact(await one(tx.em, 'select * from contacts where id = ?', [contactId]));
      const before = await this.audience(tx, contact);
      const n = await run(tx.em, 'delete from contact_shares where contact_id = ? and user_id = ?', [contactId, userId]);
      if (!n) throw notFound('Share');
      // Tell the former reader (only) that the share is gone, so open screens and note sessions drop it.
      tx.emit('share.deleted', 'contact', contactId, { contactId, userId }, [...new Set([...before, userId])]);
    });
  }
}

function dedupe(tags: string[]) { return [...new Set(tags)]; }
function mapUnique(e: any): never {
  if ((e?.code ?? e?.cause?.code) === '23505') throw duplicateEmail();
  throw e;
}
