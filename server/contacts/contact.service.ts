import type { z } from 'zod';
import type { ContactCreateInput, ContactListQuery, ContactPatchInput, ContactRecord, ShareInput, ShareRecord } from '../../shared/schemas.js';
import type { Viewer } from '../auth/viewer.js';
import type { WritePath } from '../db/write.js';
import type { Policy } from '../policy/policy.js';
import { rows, type Em } from '../db/sql.js';
import { keyset, pageOf, type SortSpec } from '../db/keyset.js';
import { notFound } from '../http/errors.js';
import { customFilters } from '../custom-fields/custom-field.service.js';
import { escapeLike } from '../companies/company.service.js';
import { contactRepository as repo, toContact, toShare, type ContactRow, type ShareRow } from './contact.repository.js';
import { ContactCommands } from './contact.commands.js';

const SORTS: Record<string, [string, SortSpec['type']]> = {
  createdAt: ['c.created_at', 'timestamptz'],
  updatedAt: ['c.updated_at', 'timestamptz'],
  name: [`lower(c.last_name || ' ' || c.first_name)`, 'text'],
};

/** Reads of contacts and their shares, and the transactions their commands run in. */
export class ContactService {
  readonly commands: ContactCommands;
  constructor(
    private wp: WritePath,
    private policy: Policy,
  ) {
    this.commands = new ContactCommands(policy);
  }

  create(v: Viewer, input: z.output<typeof ContactCreateInput>) {
    return this.wp.write(v, (tx) => this.commands.create(tx, input));
  }
  patch(v: Viewer, id: string, input: z.output<typeof ContactPatchInput>) {
    return this.wp.write(v, (tx) => this.commands.patch(tx, id, input));
  }
  async remove(v: Viewer, id: string): Promise<void> {
    await this.wp.write(v, (tx) => this.commands.remove(tx, id));
  }
  share(v: Viewer, contactId: string, input: z.output<typeof ShareInput>) {
    return this.wp.write(v, (tx) => this.commands.share(tx, contactId, input));
  }
  async unshare(v: Viewer, contactId: string, userId: string): Promise<void> {
    await this.wp.write(v, (tx) => this.commands.unshare(tx, contactId, userId));
  }

  async list(v: Viewer, q: z.output<typeof ContactListQuery>, raw: Record<string, unknown>) {
    const em = this.wp.read();
    const vf = await this.policy.contacts(em, v, 'c');
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
    if (q.ownerId) {
      where.push('c.owner_id = ?');
      params.push(q.ownerId);
    }
    if (q.companyId) {
      where.push('c.company_id = ?');
      params.push(q.companyId);
    }
    if (q.tag) {
      where.push('? = any(c.tags)');
      params.push(q.tag);
    }
    if (q.source) {
      where.push('c.source = ?');
      params.push(q.source);
    }
    const found = await rows<ContactRow & { _sort: string }>(
      em,
      `select c.*, ${ks.select} from contacts c where ${where.join(' and ')} order by ${ks.orderBy} limit ?`,
      [...params, q.limit + 1],
    );
    const page = pageOf(found, q.limit, toContact);
    const ab = await this.policy.abilitiesFor(em, v, 'contact', page.items);
    return { ...page, items: page.items.map((c) => ({ ...c, abilities: ab.get(c.id) })) };
  }

  async get(v: Viewer, id: string, em: Em = this.wp.read()): Promise<ContactRecord & { access: 'read' | 'write' }> {
    const access = await this.policy.contactAccess(em, v, id);
    if (!access) throw notFound('Contact');
    return { ...(await repo.load(em, id))!, access, abilities: await this.policy.abilities(em, v, { type: 'contact', id }) };
  }

  async listShares(v: Viewer, contactId: string): Promise<ShareRecord[]> {
    const em = this.wp.read();
    if (!(await this.policy.contactAccess(em, v, contactId))) throw notFound('Contact');
    return (await rows<ShareRow>(em, 'select * from contact_shares where contact_id = ? order by created_at', [contactId])).map(toShare);
  }
}
