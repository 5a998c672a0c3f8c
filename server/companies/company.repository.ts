import crypto from 'node:crypto';
import type { CompanyRecord } from '../../shared/schemas.js';
import type { CustomValues } from '../custom-fields/custom-field.service.js';
import { setClauses } from '../db/set-clauses.js';
import { one, run, iso, type Em } from '../db/sql.js';
import { conflict } from '../http/errors.js';

export interface CompanyRow {
  id: string;
  name: string;
  domain: string | null;
  industry: string | null;
  size: string | null;
  website: string | null;
  owner_id: string;
  custom_data: CustomValues | null;
  created_at: Date | string;
  updated_at: Date | string;
}

export function toCompany(r: CompanyRow): CompanyRecord {
  return {
    id: r.id,
    name: r.name,
    domain: r.domain ?? null,
    industry: r.industry ?? null,
    size: r.size ?? null,
    website: r.website ?? null,
    ownerId: r.owner_id,
    customData: r.custom_data ?? {},
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export type CompanyFields = Omit<CompanyRecord, 'id' | 'createdAt' | 'updatedAt' | 'abilities'>;
const PATCHABLE = { name: 'name', domain: 'domain', industry: 'industry', size: 'size', website: 'website', ownerId: 'owner_id' } as const;

export const companyRepository = {
  async load(em: Em, id: string): Promise<CompanyRecord | null> {
    const r = await one<CompanyRow>(em, 'select * from companies where id = ?', [id]);
    return r ? toCompany(r) : null;
  },
  async lock(em: Em, id: string): Promise<CompanyRecord | null> {
    const r = await one<CompanyRow>(em, 'select * from companies where id = ? for update', [id]);
    return r ? toCompany(r) : null;
  },
  async insert(em: Em, tenantId: string, c: CompanyFields): Promise<string> {
    const id = crypto.randomUUID();
    await run(
      em,
      `insert into companies (id, tenant_id, name, domain, industry, size, website, owner_id, custom_data) values (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb)`,
      [id, tenantId, c.name, c.domain, c.industry, c.size, c.website, c.ownerId, JSON.stringify(c.customData)],
    );
    return id;
  },
  async update(em: Em, id: string, p: Partial<CompanyFields>): Promise<void> {
    const { sets, vals } = setClauses(PATCHABLE, p);
    sets.push('updated_at = now()');
    await run(em, `update companies set ${sets.join(', ')} where id = ?`, [...vals, id]);
  },
  /** 409 IN_USE while deals or contacts still point at it. */
  async remove(em: Em, id: string): Promise<void> {
    await run(em, 'delete from companies where id = ?', [id]).catch((e: { code?: string }) => {
      throw e?.code === '23503' ? conflict('IN_USE', 'Company is still referenced') : e;
    });
  },
};
