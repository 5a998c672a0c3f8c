import crypto from 'node:crypto';
import type { DealRecord } from '../../shared/schemas.js';
import type { CustomValues } from '../custom-fields/custom-field.service.js';
import { setClauses } from '../db/set-clauses.js';
import { one, run, iso, isoOrNull, money, type Em } from '../db/sql.js';

/** A deals row as the read below returns it (numeric and dates as text, so both drivers agree). */
export interface DealRow {
  id: string;
  name: string;
  contact_id: string | null;
  company_id: string | null;
  owner_id: string;
  pipeline_id: string;
  stage_id: string;
  amount: string;
  currency: string;
  close_date: string | null;
  status: DealRecord['status'];
  custom_data: CustomValues | null;
  note_preview: string | null;
  version: number | string;
  created_at: Date | string;
  updated_at: Date | string;
  closed_at: Date | string | null;
}

/** Columns every deal read selects, so REST responses and event payloads have one shape. */
export const DEAL_COLUMNS = `d.id, d.name, d.contact_id, d.company_id, d.owner_id, d.pipeline_id, d.stage_id, d.amount::text as amount, d.currency,
  d.close_date::text as close_date, d.status, d.custom_data, left(d.note_text, 280) as note_preview, d.version, d.created_at, d.updated_at, d.closed_at`;

export function toDeal(r: DealRow): DealRecord {
  return {
    id: r.id,
    name: r.name,
    contactId: r.contact_id ?? null,
    companyId: r.company_id ?? null,
    ownerId: r.owner_id,
    pipelineId: r.pipeline_id,
    stageId: r.stage_id,
    amount: money(r.amount),
    currency: r.currency,
    closeDate: r.close_date ?? null,
    status: r.status,
    customData: r.custom_data ?? {},
    notePreview: r.note_preview ?? null,
    version: Number(r.version),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    closedAt: isoOrNull(r.closed_at),
  };
}

/** The deal's columns a write needs, read under a row lock so concurrent writers serialise on it. */
export interface LockedDeal {
  id: string;
  owner_id: string;
  pipeline_id: string;
  stage_id: string;
  contact_id: string | null;
  company_id: string | null;
  custom_data: CustomValues | null;
  version: string | number;
}

/** What a stage move needs, read under the deal's row lock in one round trip: the deal, and its contact's owner and the mover's share on it. */
export interface LockedForMove extends LockedDeal {
  status: DealRecord['status'];
  closed_at: Date | string | null;
  contact_owner_id: string | null;
  contact_share: 'READ' | 'WRITE' | null;
}

export interface DealInsert {
  id?: string;
  tenantId: string;
  name: string;
  contactId: string | null;
  companyId: string | null;
  ownerId: string;
  pipelineId: string;
  stageId: string;
  amount: string;
  currency: string;
  closeDate: string | null;
  status: DealRecord['status'];
  customData: CustomValues;
}

/** The columns a patch may set, by REST field name, with the SQL cast each needs. */
const PATCHABLE = {
  name: ['name', ''],
  contactId: ['contact_id', ''],
  companyId: ['company_id', ''],
  ownerId: ['owner_id', ''],
  amount: ['amount', '::numeric'],
  currency: ['currency', ''],
  closeDate: ['close_date', '::date'],
} as const;
export type DealPatch = Partial<Record<keyof typeof PATCHABLE, string | null>> & { customData?: Record<string, unknown> };

export const dealRepository = {
  async load(em: Em, id: string): Promise<DealRecord | null> {
    const r = await one<DealRow>(em, `select ${DEAL_COLUMNS} from deals d where d.id = ?`, [id]);
    return r ? toDeal(r) : null;
  },

  async lock(em: Em, tenantId: string, id: string): Promise<LockedDeal | null> {
    return (
      (await one<LockedDeal>(
        em,
        `select id, owner_id, pipeline_id, stage_id, contact_id, company_id, custom_data, version
      from deals where id = ? and tenant_id = ? for update`,
        [id, tenantId],
      )) ?? null
    );
  },

  async lockForMove(em: Em, tenantId: string, id: string, userId: string): Promise<LockedForMove | null> {
    return (
      (await one<LockedForMove>(
        em,
        `select d.id, d.owner_id, d.pipeline_id, d.stage_id, d.status, d.closed_at, d.contact_id, d.company_id, d.custom_data, d.version,
          c.owner_id as contact_owner_id, (select permission from contact_shares where contact_id = d.contact_id and user_id = ?) as contact_share
        from deals d left join contacts c on c.id = d.contact_id where d.id = ? and d.tenant_id = ? for update of d`,
        [userId, id, tenantId],
      )) ?? null
    );
  },

  async insert(em: Em, d: DealInsert): Promise<string> {
    const id = d.id ?? crypto.randomUUID();
    await run(
      em,
      `insert into deals (id, tenant_id, name, contact_id, company_id, owner_id, pipeline_id, stage_id, amount, currency, close_date, status, custom_data, closed_at)
      values (?, ?, ?, ?, ?, ?, ?, ?, ?::numeric, ?, ?::date, ?, ?::jsonb, ${d.status === 'OPEN' ? 'null' : 'now()'})`,
      [
        id,
        d.tenantId,
        d.name,
        d.contactId,
        d.companyId,
        d.ownerId,
        d.pipelineId,
        d.stageId,
        d.amount,
        d.currency,
        d.closeDate,
        d.status,
        JSON.stringify(d.customData),
      ],
    );
    return id;
  },

  async update(em: Em, id: string, patch: DealPatch): Promise<void> {
    const { sets, vals } = setClauses(PATCHABLE, patch);
    sets.push('version = version + 1', 'updated_at = now()');
    await run(em, `update deals set ${sets.join(', ')} where id = ?`, [...vals, id]);
  },

  /** Moves the deal; closing is decided by the target stage's outcome. */
  async setStage(em: Em, id: string, stageId: string, outcome: DealRecord['status']): Promise<DealRecord> {
    const r = await one<DealRow>(
      em,
      `update deals d set stage_id = ?, status = ?, closed_at = ${outcome === 'OPEN' ? 'null' : 'now()'},
      version = version + 1, updated_at = now() where id = ? returning ${DEAL_COLUMNS}`,
      [stageId, outcome, id],
    );
    return toDeal(r!);
  },

  async remove(em: Em, id: string): Promise<void> {
    await run(em, 'delete from deals where id = ?', [id]);
  },

  /**
   * One entry of the stage history reports read (the first entry into a stage counts too). clock_timestamp(),
   * not now(): a row lock may have made the move wait, and history must order by when moves applied.
   */
  async recordStage(
    em: Em,
    tenantId: string,
    dealId: string,
    fromStageId: string | null,
    toStageId: string,
    changedBy: string | null,
  ): Promise<void> {
    await run(
      em,
      'insert into deal_stage_history (id, tenant_id, deal_id, from_stage_id, to_stage_id, changed_by_id, changed_at) values (?, ?, ?, ?, ?, ?, clock_timestamp())',
      [crypto.randomUUID(), tenantId, dealId, fromStageId, toStageId, changedBy],
    );
  },
};
