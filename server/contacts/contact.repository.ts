import crypto from 'node:crypto';
import type { ContactRecord, ShareRecord } from '../../shared/schemas.js';
import type { CustomValues } from '../custom-fields/custom-field.service.js';
import { setClauses } from '../db/set-clauses.js';
import { one, run, iso, pgArray, type Em } from '../db/sql.js';
import { conflict } from '../http/errors.js';

export interface ContactRow {
  id: string;
  first_name: string;
  last_name: string;
  email: string | null;
  phone: string | null;
  company_id: string | null;
  job_title: string | null;
  source: ContactRecord['source'];
  owner_id: string;
  tags: string[] | null;
  custom_data: CustomValues | null;
  created_at: Date | string;
  updated_at: Date | string;
}
export interface ShareRow {
  contact_id: string;
  user_id: string;
  permission: ShareRecord['permission'];
  created_at: Date | string;
}

export function toContact(r: ContactRow): ContactRecord {
  return {
    id: r.id,
    firstName: r.first_name,
    lastName: r.last_name,
    email: r.email ?? null,
    phone: r.phone ?? null,
    companyId: r.company_id ?? null,
    jobTitle: r.job_title ?? null,
    source: r.source ?? null,
    ownerId: r.owner_id,
    tags: r.tags ?? [],
    customData: r.custom_data ?? {},
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}
export const toShare = (r: ShareRow): ShareRecord => ({
  contactId: r.contact_id,
  userId: r.user_id,
  permission: r.permission,
  createdAt: iso(r.created_at),
});

export const duplicateEmail = () => conflict('DUPLICATE_EMAIL', 'A contact with this email already exists');
function mapUnique(e: unknown): never {
  const err = e as { code?: string; cause?: { code?: string } };
  if ((err?.code ?? err?.cause?.code) === '23505') throw duplicateEmail();
  throw e;
}
const dedupe = (tags: string[]) => [...new Set(tags)];

export type ContactFields = Omit<ContactRecord, 'id' | 'createdAt' | 'updatedAt' | 'access' | 'abilities'>;
const PATCHABLE = {
  firstName: 'first_name',
  lastName: 'last_name',
  email: 'email',
  phone: 'phone',
  companyId: 'company_id',
  jobTitle: 'job_title',
  source: 'source',
  ownerId: 'owner_id',
} as const;

export const contactRepository = {
  async load(em: Em, id: string): Promise<ContactRecord | null> {
    const r = await one<ContactRow>(em, 'select * from contacts where id = ?', [id]);
    return r ? toContact(r) : null;
  },

  async lock(em: Em, id: string): Promise<ContactRecord | null> {
    const r = await one<ContactRow>(em, 'select * from contacts where id = ? for update', [id]);
    return r ? toContact(r) : null;
  },

  /** Another contact of the tenant holding this email (emails are unique per tenant, case-insensitively). */
  async emailTaken(em: Em, tenantId: string, email: string, exceptId?: string): Promise<boolean> {
    return !!(await one(em, 'select id from contacts where tenant_id = ? and lower(email) = lower(?) and id <> ?', [
      tenantId,
      email,
      exceptId ?? '00000000-0000-0000-0000-000000000000',
    ]));
  },

  async insert(em: Em, tenantId: string, c: ContactFields): Promise<string> {
    const id = crypto.randomUUID();
    await run(
      em,
      `insert into contacts (id, tenant_id, first_name, last_name, email, phone, company_id, job_title, source, owner_id, tags, custom_data)
      values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::text[], ?::jsonb)`,
      [
        id,
        tenantId,
        c.firstName,
        c.lastName,
        c.email,
        c.phone,
        c.companyId,
        c.jobTitle,
        c.source,
        c.ownerId,
        pgArray(dedupe(c.tags)),
        JSON.stringify(c.customData),
      ],
    ).catch(mapUnique);
    return id;
  },

  async update(em: Em, id: string, p: Partial<ContactFields>): Promise<void> {
    const { sets, vals } = setClauses(PATCHABLE, p);
    if (p.tags) {
      sets.push('tags = ?::text[]');
      vals.push(pgArray(dedupe(p.tags)));
    }
    sets.push('updated_at = now()');
    await run(em, `update contacts set ${sets.join(', ')} where id = ?`, [...vals, id]).catch(mapUnique);
  },

  async remove(em: Em, id: string): Promise<void> {
    await run(em, 'delete from contacts where id = ?', [id]);
  },

  async upsertShare(em: Em, tenantId: string, contactId: string, userId: string, permission: ShareRecord['permission']): Promise<ShareRecord> {
    const r = await one<ShareRow>(
      em,
      `insert into contact_shares (contact_id, user_id, tenant_id, permission) values (?, ?, ?, ?)
      on conflict (contact_id, user_id) do update set permission = excluded.permission returning *`,
      [contactId, userId, tenantId, permission],
    );
    return toShare(r!);
  },

  async removeShare(em: Em, contactId: string, userId: string): Promise<boolean> {
    return (await run(em, 'delete from contact_shares where contact_id = ? and user_id = ?', [contactId, userId])) > 0;
  },
};
