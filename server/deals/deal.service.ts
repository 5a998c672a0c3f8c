import crypto from 'node:crypto';
import type { z } from 'zod';
import type { Board, MoneyTotal, DealCreateInput, DealListQuery, DealPatchInput, DealRecord, MoveInput, StageHistoryRecord, ActivityRecord } from '../../shared/schemas.js';
import type { Viewer } from '../auth/viewer.js';
import type { WritePath, Tx } from '../db/write.js';
import type { Visibility } from '../visibility/visibility.js';
import { one, rows, run, iso, isoOrNull, money, type Em } from '../db/sql.js';
import { keyset, pageOf, type SortSpec } from '../db/keyset.js';
import { notFound, validationFailed, conflict, AppError } from '../http/errors.js';
import { customFilters, validateCustomData } from '../custom-fields/custom-field.service.js';
import { escapeLike } from '../companies/company.service.js';
import { loadPipeline, toStage } from '../pipelines/pipeline.service.js';
import { insertActivity } from '../activities/activity.service.js';

/** Columns every deal read selects, so REST responses and event payloads have one shape. */
export const DEAL_COLUMNS = `d.id, d.name, d.contact_id, d.company_id, d.owner_id, d.pipeline_id, d.stage_id, d.amount::text as amount, d.currency,
  d.close_date::text as close_date, d.status, d.custom_data, left(d.note_text, 280) as note_preview, d.version, d.created_at, d.updated_at, d.closed_at`;

export function toDeal(r: any): DealRecord {
  return {
    id: r.id, name: r.name, contactId: r.contact_id ?? null, companyId: r.company_id ?? null, ownerId: r.owner_id,
    pipelineId: r.pipeline_id, stageId: r.stage_id, amount: money(r.amount), currency: r.currency, closeDate: r.close_date ?? null,
    status: r.status, customData: r.custom_data ?? {}, notePreview: r.note_preview ?? null, version: Number(r.version),
    createdAt: iso(r.created_at), updatedAt: iso(r.updated_at), closedAt: isoOrNull(r.closed_at),
  };
}

const toHistory = (r: any): StageHistoryRecord => ({ id: r.id, dealId: r.deal_id, fromStageId: r.from_stage_id ?? null, toStageId: r.to_stage_id, changedBy: r.changed_by_id, changedAt: iso(r.changed_at) });

const SORTS: Record<string, [string, SortSpec['type']]> = {
  createdAt: ['d.created_at', 'timestamptz'], updatedAt: ['d.updated_at', 'timestamptz'], name: ['lower(d.name)', 'text'],
  amount: ['d.amount', 'numeric'], closeDate: [`coalesce(d.close_date, '9999-12-31'::date)`, 'date'],
};

export const invalidStage = () => new AppError(422, 'INVALID_STAGE', "Stage does not belong to the deal's pipeline");
const versionConflict = (current: DealRecord) => conflict('VERSION_CONFLICT', 'The deal was changed by someone else; reload and try again', { current });

export async function loadDeal(em: Em, id: string): Promise<DealRecord> {
  return toDeal(await one(em, `select ${DEAL_COLUMNS} from deals d where d.id = ?`, [id]));
}

export class DealService {
  constructor(private wp: WritePath, private vis: Visibility) {}

  dealAudience(tx: { em: Em; viewer: Viewer }, d: { ownerId: string }) {
    return this.vis.audience(tx.em, tx.viewer.tenantId, { owners: [d.ownerId] });
  }

  async list(v: Viewer, q: z.output<typeof DealListQuery>, raw: Record<string, unknown>) {
    const em = this.wp.read();
    const vf = await this.vis.deals(em, v, 'd');
    const cf = await customFilters(em, v.tenantId, 'DEAL', raw, 'd');
    const [expr, type] = SORTS[q.sort];
    const ks = keyset({ expr, type, dir: q.order }, 'd.id', q.cursor);
    const where = [vf.sql, cf.sql, ks.where.sql];
    const params = [...vf.params, ...cf.params, ...ks.where.params];
    if (q.q) { where.push('d.name ilike ?'); params.push(`%${escapeLike(q.q)}%`); }
    for (const [k, col] of [['ownerId', 'owner_id'], ['pipelineId', 'pipeline_id'], ['stageId', 'stage_id'], ['contactId', 'contact_id'], ['companyId', 'company_id'], ['status', 'status']] as const) {
      if (q[k]) { where.push(`d.${col} = ?`); params.push(q[k]); }
    }
    const found = await rows(em, `select ${DEAL_COLUMNS}, ${ks.select} from deals d where ${where.join(' and ')} order by ${ks.orderBy} limit ?`, [...params, q.limit + 1]);
    return pageOf(found, q.limit, toDeal);
  }

  async get(v: Viewer, id: string, em: Em = this.wp.read()): Promise<DealRecord> {
    if (!(await this.vis.dealAccess(em, v, id))) throw notFound('Deal');
    return loadDeal(em, id);
  }

  /**
   * A new link must point at a contact or company the viewer can see (an invisible one reads as missing, so
   * its existence is not revealed). Keeping the link the deal already has is not making one: `cur` holds it.
   */
  private async checkRefs(em: Em, v: Viewer, input: { ownerId?: string; contactId?: string | null; companyId?: string | null },
    cur: { contactId?: string | null; companyId?: string | null } = {}) {
    if (input.ownerId && !(await this.vis.canAssignOwner(em, v, input.ownerId))) throw validationFailed([{ path: 'ownerId', message: 'owner must be a user whose records you can see' }]);
    if (input.contactId && input.contactId !== cur.contactId && !(await this.vis.contactAccess(em, v, input.contactId))) throw new AppError(422, 'INVALID_REFERENCE', 'Contact does not exist', { path: 'contactId' });
    if (input.companyId && input.companyId !== cur.companyId && !(await this.vis.companyAccess(em, v, input.companyId))) throw new AppError(422, 'INVALID_REFERENCE', 'Company does not exist', { path: 'companyId' });
  }

  async create(v: Viewer, input: z.output<typeof DealCreateInput>): Promise<DealRecord> {
    return this.wp.write(v, async (tx) => {
      const pipeline = await loadPipeline(tx.em, v.tenantId, input.pipelineId);
      if (!pipeline) throw new AppError(422, 'INVALID_REFERENCE', 'Pipeline does not exist', { path: 'pipelineId' });
      const stage = input.stageId ? pipeline.stages.find((s) => s.id === input.stageId) : pipeline.stages[0];
      if (!stage) throw invalidStage();
      const ownerId = input.ownerId ?? v.id;
      await this.checkRefs(tx.em, v, { ...input, ownerId });
      const custom = await validateCustomData(tx.em, v.tenantId, 'DEAL', input.customData);
      const id = crypto.randomUUID();
      await run(tx.em, `insert into deals (id, tenant_id, name, contact_id, company_id, owner_id, pipeline_id, stage_id, amount, currency, close_date, status, custom_data, closed_at)
        values (?, ?, ?, ?, ?, ?, ?, ?, ?::numeric, ?, ?::date, ?, ?::jsonb, ${stage.outcome === 'OPEN' ? 'null' : 'now()'})`,
        [id, v.tenantId, input.name, input.contactId ?? null, input.companyId ?? null, ownerId, pipeline.id, stage.id, input.amount ?? '0',
          input.currency ?? 'USD', input.closeDate ?? null, stage.outcome, JSON.stringify(custom)]);
      // The first entry into a stage counts for conversion reports too.
      await run(tx.em, 'insert into deal_stage_history (id, tenant_id, deal_id, from_stage_id, to_stage_id, changed_by_id) values (?, ?, ?, null, ?, ?)',
        [crypto.randomUUID(), v.tenantId, id, stage.id, v.id]);
      const rec = await loadDeal(tx.em, id);
      tx.emit('deal.created', 'deal', id, rec, await this.dealAudience(tx, rec));
      return rec;
    });
  }

  async patch(v: Viewer, id: string, input: z.output<typeof DealPatchInput>): Promise<DealRecord> {
    return this.wp.write(v, async (tx) => {
      if (!(await this.vis.dealAccess(tx.em, v, id))) throw notFound('Deal');
      const cur = await one(tx.em, 'select custom_data, version, owner_id, contact_id, company_id from deals where id = ? for update', [id]);
      const before = input.ownerId && input.ownerId !== cur.owner_id ? await this.dealAudience(tx, { ownerId: cur.owner_id }) : null;
      if (input.version !== undefined && input.version !== Number(cur.version)) throw versionConflict(await loadDeal(tx.em, id));
      await this.checkRefs(tx.em, v, input, { contactId: cur.contact_id, companyId: cur.company_id });
      const custom = await validateCustomData(tx.em, v.tenantId, 'DEAL', input.customData, cur.custom_data ?? {});
      const sets: string[] = []; const vals: unknown[] = [];
      const cols: [keyof typeof input, string, string][] = [['name', 'name', ''], ['contactId', 'contact_id', ''], ['companyId', 'company_id', ''],
        ['ownerId', 'owner_id', ''], ['amount', 'amount', '::numeric'], ['currency', 'currency', ''], ['closeDate', 'close_date', '::date']];
      for (const [k, col, cast] of cols) if (input[k] !== undefined) { sets.push(`${col} = ?${cast}`); vals.push(input[k]); }
      sets.push('custom_data = ?::jsonb', 'version = version + 1', 'updated_at = now()'); vals.push(JSON.stringify(custom));
      await run(tx.em, `update deals set ${sets.join(', ')} where id = ?`, [...vals, id]);
      const rec = await loadDeal(tx.em, id);
      const audience = await this.dealAudience(tx, rec);
      tx.emit('deal.updated', 'deal', id, rec, audience);
      // Reassignment can take the deal out of someone's sight: their screens must drop it, without seeing its new state.
      const lost = before?.filter((u) => !audience.includes(u)) ?? [];
      if (lost.length) tx.emit('deal.deleted', 'deal', id, { id, pipelineId: rec.pipelineId, stageId: rec.stageId, reason: 'access_lost' }, lost);
      return rec;
    });
  }

  async remove(v: Viewer, id: string): Promise<void> {
    await this.wp.write(v, async (tx) => {
      if (!(await this.vis.dealAccess(tx.em, v, id))) throw notFound('Deal');
      const rec = await loadDeal(tx.em, id);
      const audience = await this.dealAudience(tx, rec);
      await run(tx.em, 'delete from deals where id = ?', [id]);
      tx.emit('deal.deleted', 'deal', id, { id, pipelineId: rec.pipelineId, stageId: rec.stageId }, audience);
    });
  }

  /**
   * The seed's DealService.move_stage, made safe under concurrency: the deal row is locked for the
   * whole move, so two concurrent moves serialise and each writes its own history row; a caller
   * holding a stale `version` gets 409 and nothing changes. Closing is decided by the stage's outcome.
   */
  async move(v: Viewer, id: string, input: z.output<typeof MoveInput>): Promise<DealRecord> {
    return this.wp.write(v, async (tx) => {
      // Lock first, then decide visibility from the locked row: one round trip instead of two, and no window between them.
      const deal = await one(tx.em, `select d.id, d.owner_id, d.pipeline_id, d.stage_id, d.contact_id, d.version, c.owner_id as contact_owner_id
        from deals d left join contacts c on c.id = d.contact_id where d.id = ? and d.tenant_id = ? for update of d`, [id, v.tenantId]);
      const scope = deal ? await this.vis.ownerScope(tx.em, v) : null;
      if (!deal || (scope !== null && !scope.includes(deal.owner_id))) throw notFound('Deal');
      if (input.version !== undefined && input.version !== Number(deal.version)) throw versionConflict(await loadDeal(tx.em, id));
      const stages = await rows(tx.em, 'select * from stages where id in (?, ?) and tenant_id = ?', [input.stageId, deal.stage_id, v.tenantId]);
      const target = stages.find((x) => x.id === input.stageId);
      if (!target || target.pipeline_id !== deal.pipeline_id) throw invalidStage();
      if (target.id === deal.stage_id) return loadDeal(tx.em, id);
      const from = toStage(stages.find((x) => x.id === deal.stage_id));
      const to = toStage(target);
      const rec = toDeal(await one(tx.em, `update deals d set stage_id = ?, status = ?, closed_at = ${to.outcome === 'OPEN' ? 'null' : 'now()'},
        version = version + 1, updated_at = now() where id = ? returning ${DEAL_COLUMNS}`, [to.id, to.outcome, id]));
      // clock_timestamp(), not now(): the row lock above may have made us wait, and history must order by when moves applied.
      await run(tx.em, 'insert into deal_stage_history (id, tenant_id, deal_id, from_stage_id, to_stage_id, changed_by_id, changed_at) values (?, ?, ?, ?, ?, ?, clock_timestamp())',
        [crypto.randomUUID(), v.tenantId, id, from.id, to.id, v.id]);
      const audience = await this.dealAudience(tx, rec);
      tx.emit('deal.moved', 'deal', id, { ...rec, fromStageId: from.id }, audience);
      const note: ActivityRecord = await insertActivity(tx.em, v, {
        type: 'NOTE', contactId: deal.contact_id ?? null, dealId: id, subject: 'Stage changed', body: `Deal moved from ${from.name} to ${to.name}`,
      });
      // The note's audience is the deal's plus the contact's side (its owner, shares) and the mover.
      const noteAudience = deal.contact_id || !audience.includes(v.id)
        ? await this.vis.audience(tx.em, v.tenantId, { owners: [rec.ownerId, deal.contact_owner_id], contacts: [deal.contact_id], users: [v.id] })
        : audience;
      tx.emit('activity.created', 'activity', note.id, note, noteAudience);
      return rec;
    });
  }

  async history(v: Viewer, id: string): Promise<StageHistoryRecord[]> {
    const em = this.wp.read();
    if (!(await this.vis.dealAccess(em, v, id))) throw notFound('Deal');
    return (await rows(em, 'select * from deal_stage_history where deal_id = ? order by changed_at, id', [id])).map(toHistory);
  }

  /** Stages in order, each with its visible open deals and totals; `ownerId` narrows to one rep, me or my team. */
  async board(v: Viewer, pipelineId: string, ownerFilter?: string): Promise<Board> {
    const em = this.wp.read();
    const pipeline = await loadPipeline(em, v.tenantId, pipelineId);
    if (!pipeline) throw notFound('Pipeline');
    const vf = await this.vis.deals(em, v, 'd');
    const where = [vf.sql, 'd.pipeline_id = ?', `d.status = 'OPEN'`];
    const params: unknown[] = [...vf.params, pipelineId];
    if (ownerFilter === 'me') { where.push('d.owner_id = ?'); params.push(v.id); }
    else if (ownerFilter === 'team') {
      const scope = await this.vis.ownerScope(em, v);
      if (scope) { where.push('d.owner_id = any(?::uuid[])'); params.push(`{${scope.join(',')}}`); }
    } else if (ownerFilter) { where.push('d.owner_id = ?'); params.push(ownerFilter); }
    const deals = await rows(em, `select ${DEAL_COLUMNS} from deals d where ${where.join(' and ')} order by d.updated_at desc, d.id limit 5000`, params);
    // One row per (stage, currency): summing across currencies would add EUR to USD. Weighted is rounded per deal,
    // half away from zero (numeric round), so it matches what the client recomputes from the cards.
    const sums = await rows<TotalRow>(em, `select d.stage_id, d.currency, count(*)::int as n, sum(d.amount)::text as amount,
        sum(round(d.amount * s.win_probability / 100.0, 2))::text as weighted
      from deals d join stages s on s.id = d.stage_id where ${where.join(' and ')} group by d.stage_id, d.currency`, params);
    const byStage = totalsByStage(sums);
    return {
      pipeline,
      stages: pipeline.stages.map((s) => {
        const totals = byStage.get(s.id) ?? [];
        return { ...s, deals: deals.filter((d) => d.stage_id === s.id).map(toDeal), count: totals.reduce((n, t) => n + t.count, 0), totals };
      }),
    };
  }
}

interface TotalRow { stage_id: string; currency: string; n: number; amount: string; weighted: string }

/** Board sums grouped by stage, each stage's list sorted by currency code (byte order, not the database collation). */
function totalsByStage(sums: TotalRow[]): Map<string, MoneyTotal[]> {
  const out = new Map<string, MoneyTotal[]>();
  for (const r of sums) {
    const list = out.get(r.stage_id) ?? [];
    list.push({ currency: r.currency.trim(), count: Number(r.n), amount: money(r.amount), weighted: money(r.weighted) });
    out.set(r.stage_id, list);
  }
  for (const list of out.values()) list.sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
  return out;
}
