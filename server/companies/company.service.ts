import type { z } from 'zod';
import type { CompanyCreateInput, CompanyListQuery, CompanyPatchInput, CompanyRecord } from '../../shared/schemas.js';
import type { Viewer } from '../auth/viewer.js';
import type { WritePath } from '../db/write.js';
import type { Policy } from '../policy/policy.js';
import { rows, type Em } from '../db/sql.js';
import { keyset, pageOf, type SortSpec } from '../db/keyset.js';
import { notFound } from '../http/errors.js';
import { customFilters } from '../custom-fields/custom-field.service.js';
import { companyRepository as repo, toCompany, type CompanyRow } from './company.repository.js';
import { CompanyCommands } from './company.commands.js';

const SORTS: Record<string, string> = { createdAt: 'co.created_at', updatedAt: 'co.updated_at', name: 'lower(co.name)' };
const SORT_TYPES: Record<string, SortSpec['type']> = { createdAt: 'timestamptz', updatedAt: 'timestamptz', name: 'text' };

/** Reads of companies, and the transactions their commands run in. */
export class CompanyService {
  readonly commands: CompanyCommands;
  constructor(
    private wp: WritePath,
    private policy: Policy,
  ) {
    this.commands = new CompanyCommands(policy);
  }

  create(v: Viewer, input: z.output<typeof CompanyCreateInput>) {
    return this.wp.write(v, (tx) => this.commands.create(tx, input));
  }
  patch(v: Viewer, id: string, input: z.output<typeof CompanyPatchInput>) {
    return this.wp.write(v, (tx) => this.commands.patch(tx, id, input));
  }
  async remove(v: Viewer, id: string): Promise<void> {
    await this.wp.write(v, (tx) => this.commands.remove(tx, id));
  }

  async list(v: Viewer, q: z.output<typeof CompanyListQuery>, raw: Record<string, unknown>) {
    const em = this.wp.read();
    const vf = await this.policy.companies(em, v, 'co');
    const cf = await customFilters(em, v.tenantId, 'COMPANY', raw, 'co');
    const ks = keyset({ expr: SORTS[q.sort], type: SORT_TYPES[q.sort], dir: q.order }, 'co.id', q.cursor);
    const where = [vf.sql, cf.sql, ks.where.sql];
    const params = [...vf.params, ...cf.params, ...ks.where.params];
    if (q.q) {
      where.push(`(co.name ilike ? or co.domain ilike ?)`);
      params.push(`%${escapeLike(q.q)}%`, `${escapeLike(q.q)}%`);
    }
    if (q.ownerId) {
      where.push('co.owner_id = ?');
      params.push(q.ownerId);
    }
    if (q.industry) {
      where.push('co.industry = ?');
      params.push(q.industry);
    }
    const found = await rows<CompanyRow & { _sort: string }>(
      em,
      `select co.*, ${ks.select} from companies co where ${where.join(' and ')} order by ${ks.orderBy} limit ?`,
      [...params, q.limit + 1],
    );
    const page = pageOf(found, q.limit, toCompany);
    const ab = await this.policy.abilitiesFor(em, v, 'company', page.items);
    return { ...page, items: page.items.map((c) => ({ ...c, abilities: ab.get(c.id) })) };
  }

  async get(v: Viewer, id: string, em: Em = this.wp.read()): Promise<CompanyRecord> {
    if (!(await this.policy.companyAccess(em, v, id))) throw notFound('Company');
    return { ...(await repo.load(em, id))!, abilities: await this.policy.abilities(em, v, { type: 'company', id }) };
  }
}

export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (m) => '\\' + m);
}
