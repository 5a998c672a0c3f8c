import crypto from 'node:crypto';
import type { z } from 'zod';
import type { CompanyCreateInput, CompanyListQuery, CompanyPatchInput, CompanyRecord } from '../../shared/schemas.js';
import type { Viewer } from '../auth/viewer.js';
import type { WritePath, Tx } from '../db/write.js';
import type { Visibility } from '../visibility/visibility.js';
import { one, rows, run, iso, type Em } from '../db/sql.js';
import { keyset, pageOf, type SortSpec } from '../db/keyset.js';
import { notFound, validationFailed, conflict } from '../http/errors.js';
import { customFilters, validateCustomData } from '../custom-fields/custom-field.service.js';

export function toCompany(r: any): CompanyRecord {
  return {
    id: r.id, name: r.name, domain: r.domain ?? null, industry: r.industry ?? null, size: r.size ?? null, website: r.website ?? null,
    ownerId: r.owner_id, customData: r.custom_data ?? {}, createdAt: iso(r.created_at), updatedAt: iso(r.updated_at),
  };
}

const SORTS: Record<string, string> = { createdAt: 'co.created_at', updatedAt: 'co.updated_at', name: 'lower(co.name)' };
const SORT_TYPES: Record<string, SortSpec['type']> = { createdAt: 'timestamptz', updatedAt: 'timestamptz', name: 'text' };

export class CompanyService {
  constructor(private wp: WritePath, private vis: Visibility) {}

  async list(v: Viewer, q: z.output<typeof CompanyListQuery>, raw: Record<string, unknown>) {
    const em = this.wp.read();
    const vf = await this.vis.companies(em, v, 'co');
    const cf = await customFilters(em, v.tenantId, 'COMPANY', raw, 'co');
    const ks = keyset({ expr: SORTS[q.sort], type: SORT_TYPES[q.sort], dir: q.order }, 'co.id', q.cursor);
    const where = [vf.sql, cf.sql, ks.where.sql];
    const params = [...vf.params, ...cf.params, ...ks.where.params];
    if (q.q) { where.push(`(co.name ilike ? or co.domain ilike ?)`); params.push(`%${escapeLike(q.q)}%`, `${escapeLike(q.q)}%`); }
    if (q.ownerId) { where.push('co.owner_id = ?'); params.push(q.ownerId); }
    if (q.industry) { where.push('co.industry = ?'); params.push(q.industry); }
    const found = await rows(em, `select co.*, ${ks.select} from companies co where ${where.join(' and ')} order by ${ks.orderBy} limit ?`, [...params, q.limit + 1]);
    return pageOf(found, q.limit, toCompany);
  }

  async get(v: Viewer, id: string, em: Em = this.wp.read()): Promise<CompanyRecord> {
    if (!(await this.vis.companyAccess(em, v, id))) throw notFound('Company');
    return toCompany(await one(em, 'select * from companies where id = ?', [id]));
  }

  private audience(tx: Tx, c: CompanyRecord) {
    return this.vis.audience(tx.em, tx.viewer.tenantId, { owners: [c.ownerId] });
  }

  private async checkOwner(em: Em, v: Viewer, ownerId: string) {
    if (!(await this.vis.canAssignOwner(em, v, ownerId))) throw validationFailed([{ path: 'ownerId', message: 'owner must be a user whose records you can see' }]);
  }

  async create(v: Viewer, input: z.output<typeof CompanyCreateInput>): Promise<CompanyRecord> {
    return this.wp.write(v, async (tx) => {
      const ownerId = input.ownerId ?? v.id;
      await this.checkOwner(tx.em, v, ownerId);
      const custom = await validateCustomData(tx.em, v.tenantId, 'COMPANY', input.customData);
      const id = crypto.randomUUID();
      await run(tx.em, `insert into companies (id, tenant_id, name, domain, industry, size, website, owner_id, custom_data) values (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb)`,
        [id, v.tenantId, input.name, input.domain ?? null, input.industry ?? null, input.size ?? null, input.website ?? null, ownerId, JSON.stringify(custom)]);
      const rec = toCompany(await one(tx.em, 'select * from companies where id = ?', [id]));
      tx.emit('company.created', 'company', id, rec, await this.audience(tx, rec));
      return rec;
    });
  }

  async patch(v: Viewer, id: string, input: z.output<typeof CompanyPatchInput>): Promise<CompanyRecord> {
    return this.wp.write(v, async (tx) => {
      if (!(await this.vis.companyAccess(tx.em, v, id))) throw notFound('Company');
      const cur = await one(tx.em, 'select * from companies where id = ? for update', [id]);
      if (input.ownerId) await this.checkOwner(tx.em, v, input.ownerId);
      const custom = await validateCustomData(tx.em, v.tenantId, 'COMPANY', input.customData, cur.custom_data ?? {});
      const set = (k: keyof typeof input, col: string, vals: unknown[], sets: string[]) => { if (input[k] !== undefined) { sets.push(`${col} = ?`); vals.push(input[k]); } };
      const sets: string[] = []; const vals: unknown[] = [];
      set('name', 'name', vals, sets); set('domain', 'domain', vals, sets); set('industry', 'industry', vals, sets);
      set('size', 'size', vals, sets); set('website', 'website', vals, sets); set('ownerId', 'owner_id', vals, sets);
      sets.push('custom_data = ?::jsonb', 'updated_at = now()'); vals.push(JSON.stringify(custom));
      await run(tx.em, `update companies set ${sets.join(', ')} where id = ?`, [...vals, id]);
      const rec = toCompany(await one(tx.em, 'select * from companies where id = ?', [id]));
      tx.emit('company.updated', 'company', id, rec, await this.audience(tx, rec));
      return rec;
    });
  }

  async remove(v: Viewer, id: string): Promise<void> {
    await this.wp.write(v, async (tx) => {
      if (!(await this.vis.companyAccess(tx.em, v, id))) throw notFound('Company');
      const rec = toCompany(await one(tx.em, 'select * from companies where id = ? for update', [id]));
      const audience = await this.audience(tx, rec);
      await run(tx.em, 'delete from companies where id = ?', [id]).catch((e) => { throw e?.code === '23503' ? conflict('IN_USE', 'Company is still referenced') : e; });
      tx.emit('company.deleted', 'company', id, { id }, audience);
    });
  }
}

export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (m) => '\\' + m);
}
