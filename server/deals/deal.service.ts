import type { z } from 'zod';
import type {
  Board,
  MoneyTotal,
  DealCreateInput,
  DealListQuery,
  DealPatchInput,
  DealRecord,
  MoveInput,
  StageHistoryRecord,
} from '../../shared/schemas.js';
import type { Viewer } from '../auth/viewer.js';
import type { WritePath } from '../db/write.js';
import type { Policy } from '../policy/policy.js';
import type { ActivityCommands } from '../activities/activity.commands.js';
import { rows, iso, money, type Em } from '../db/sql.js';
import { keyset, pageOf, type SortSpec } from '../db/keyset.js';
import { notFound } from '../http/errors.js';
import { customFilters } from '../custom-fields/custom-field.service.js';
import { escapeLike } from '../companies/company.service.js';
import { loadPipeline } from '../pipelines/pipeline.repository.js';
import { DEAL_COLUMNS, dealRepository as repo, toDeal, type DealRow } from './deal.repository.js';
import { DealCommands } from './deal.commands.js';

interface HistoryRow {
  id: string;
  deal_id: string;
  from_stage_id: string | null;
  to_stage_id: string;
  changed_by_id: string;
  changed_at: Date | string;
}
const toHistory = (r: HistoryRow): StageHistoryRecord => ({
  id: r.id,
  dealId: r.deal_id,
  fromStageId: r.from_stage_id ?? null,
  toStageId: r.to_stage_id,
  changedBy: r.changed_by_id,
  changedAt: iso(r.changed_at),
});

const SORTS: Record<string, [string, SortSpec['type']]> = {
  createdAt: ['d.created_at', 'timestamptz'],
  updatedAt: ['d.updated_at', 'timestamptz'],
  name: ['lower(d.name)', 'text'],
  amount: ['d.amount', 'numeric'],
  closeDate: [`coalesce(d.close_date, '9999-12-31'::date)`, 'date'],
};

/** Reads of deals (lists, board, history), and the transactions their commands run in. */
export class DealService {
  readonly commands: DealCommands;
  constructor(
    private wp: WritePath,
    private policy: Policy,
    activities: ActivityCommands,
  ) {
    this.commands = new DealCommands(policy, activities);
  }

  create(v: Viewer, input: z.output<typeof DealCreateInput>): Promise<DealRecord> {
    return this.wp.write(v, (tx) => this.commands.create(tx, input));
  }
  patch(v: Viewer, id: string, input: z.output<typeof DealPatchInput>): Promise<DealRecord> {
    return this.wp.write(v, (tx) => this.commands.patch(tx, id, input));
  }
  async remove(v: Viewer, id: string): Promise<void> {
    await this.wp.write(v, (tx) => this.commands.remove(tx, id));
  }
  move(v: Viewer, id: string, input: z.output<typeof MoveInput>): Promise<DealRecord> {
    return this.wp.write(v, (tx) => this.commands.move(tx, id, input));
  }

  async list(v: Viewer, q: z.output<typeof DealListQuery>, raw: Record<string, unknown>) {
    const em = this.wp.read();
    const vf = await this.policy.deals(em, v, 'd');
    const cf = await customFilters(em, v.tenantId, 'DEAL', raw, 'd');
    const [expr, type] = SORTS[q.sort];
    const ks = keyset({ expr, type, dir: q.order }, 'd.id', q.cursor);
    const where = [vf.sql, cf.sql, ks.where.sql];
    const params = [...vf.params, ...cf.params, ...ks.where.params];
    if (q.q) {
      where.push('d.name ilike ?');
      params.push(`%${escapeLike(q.q)}%`);
    }
    for (const [k, col] of [
      ['ownerId', 'owner_id'],
      ['pipelineId', 'pipeline_id'],
      ['stageId', 'stage_id'],
      ['contactId', 'contact_id'],
      ['companyId', 'company_id'],
      ['status', 'status'],
    ] as const) {
      if (q[k]) {
        where.push(`d.${col} = ?`);
        params.push(q[k]);
      }
    }
    const found = await rows<DealRow & { _sort: string }>(
      em,
      `select ${DEAL_COLUMNS}, ${ks.select} from deals d where ${where.join(' and ')} order by ${ks.orderBy} limit ?`,
      [...params, q.limit + 1],
    );
    const page = pageOf(found, q.limit, toDeal);
    const ab = await this.policy.abilitiesFor(em, v, 'deal', page.items);
    return { ...page, items: page.items.map((d) => ({ ...d, abilities: ab.get(d.id) })) };
  }

  async get(v: Viewer, id: string, em: Em = this.wp.read()): Promise<DealRecord> {
    if (!(await this.policy.dealAccess(em, v, id))) throw notFound('Deal');
    return { ...(await repo.load(em, id))!, abilities: await this.policy.abilities(em, v, { type: 'deal', id }) };
  }

  async history(v: Viewer, id: string): Promise<StageHistoryRecord[]> {
    const em = this.wp.read();
    if (!(await this.policy.dealAccess(em, v, id))) throw notFound('Deal');
    return (await rows<HistoryRow>(em, 'select * from deal_stage_history where deal_id = ? order by changed_at, id', [id])).map(toHistory);
  }

  /** Stages in order, each with its visible open deals and totals; `ownerId` narrows to one rep, me or my team. */
  async board(v: Viewer, pipelineId: string, ownerFilter?: string): Promise<Board> {
    const em = this.wp.read();
    const pipeline = await loadPipeline(em, v.tenantId, pipelineId);
    if (!pipeline) throw notFound('Pipeline');
    const vf = await this.policy.deals(em, v, 'd');
    const where = [vf.sql, 'd.pipeline_id = ?', `d.status = 'OPEN'`];
    const params: unknown[] = [...vf.params, pipelineId];
    if (ownerFilter === 'me') {
      where.push('d.owner_id = ?');
      params.push(v.id);
    } else if (ownerFilter === 'team') {
      const scope = await this.policy.ownerScope(em, v);
      if (scope) {
        where.push('d.owner_id = any(?::uuid[])');
        params.push(`{${scope.join(',')}}`);
      }
    } else if (ownerFilter) {
      where.push('d.owner_id = ?');
      params.push(ownerFilter);
    }
    const deals = await rows(
      em,
      `select ${DEAL_COLUMNS} from deals d where ${where.join(' and ')} order by d.updated_at desc, d.id limit 5000`,
      params,
    );
    // One row per (stage, currency): summing across currencies would add EUR to USD. Weighted is rounded per deal,
    // half away from zero (numeric round), so it matches what the client recomputes from the cards.
    const sums = await rows<TotalRow>(
      em,
      `select d.stage_id, d.currency, count(*)::int as n, sum(d.amount)::text as amount,
        sum(round(d.amount * s.win_probability / 100.0, 2))::text as weighted
      from deals d join stages s on s.id = d.stage_id where ${where.join(' and ')} group by d.stage_id, d.currency`,
      params,
    );
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

interface TotalRow {
  stage_id: string;
  currency: string;
  n: number;
  amount: string;
  weighted: string;
}

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
