import crypto from 'node:crypto';
import type { z } from 'zod';
import type { PipelineCreateInput, PipelinePatchInput, PipelineRecord, StageRecord } from '../../shared/schemas.js';
import type { Viewer } from '../auth/viewer.js';
import type { WritePath } from '../db/write.js';
import { one, rows, run, iso, type Em } from '../db/sql.js';
import { forbidden, notFound, validationFailed, conflict } from '../http/errors.js';

type StageIn = { name: string; winProbability: number; outcome?: 'OPEN' | 'WON' | 'LOST' };

export const DEFAULT_STAGES: StageIn[] = [
  { name: 'Lead', winProbability: 10 },
  { name: 'Qualified', winProbability: 25 },
  { name: 'Proposal', winProbability: 50 },
  { name: 'Negotiation', winProbability: 75 },
  { name: 'Closed Won', winProbability: 100 },
  { name: 'Closed Lost', winProbability: 0 },
];

/** "Closed Won"/"Closed Lost" get their outcome by default; anything else is explicit. */
export function outcomeOf(s: StageIn): 'OPEN' | 'WON' | 'LOST' {
  if (s.outcome) return s.outcome;
  const n = s.name.trim().toLowerCase();
  if (n === 'closed won' || n === 'won') return 'WON';
  if (n === 'closed lost' || n === 'lost') return 'LOST';
  return 'OPEN';
}

/** A stages row. */
export interface StageRow {
  id: string;
  pipeline_id: string;
  name: string;
  order_index: number | string;
  win_probability: number | string;
  outcome: StageRecord['outcome'];
}

export function toStage(r: StageRow): StageRecord {
  return {
    id: r.id,
    pipelineId: r.pipeline_id,
    name: r.name,
    orderIndex: Number(r.order_index),
    winProbability: Number(r.win_probability),
    outcome: r.outcome,
  };
}

async function insertPipeline(em: Em, tenantId: string, name: string, stages: StageIn[]): Promise<string> {
  const id = crypto.randomUUID();
  await run(em, 'insert into pipelines (id, tenant_id, name) values (?, ?, ?)', [id, tenantId, name]);
  let i = 0;
  for (const s of stages) {
    await run(em, 'insert into stages (id, tenant_id, pipeline_id, name, order_index, win_probability, outcome) values (?, ?, ?, ?, ?, ?, ?)', [
      crypto.randomUUID(),
      tenantId,
      id,
      s.name,
      i++,
      s.winProbability,
      outcomeOf(s),
    ]);
  }
  return id;
}

export async function createDefaultPipeline(em: Em, tenantId: string): Promise<string> {
  return insertPipeline(em, tenantId, 'Sales', DEFAULT_STAGES);
}

export async function loadPipeline(em: Em, tenantId: string, id: string): Promise<PipelineRecord | null> {
  const p = await one(em, 'select * from pipelines where id = ? and tenant_id = ?', [id, tenantId]);
  if (!p) return null;
  const stages = await rows(em, 'select * from stages where pipeline_id = ? order by order_index, id', [id]);
  return { id: p.id, name: p.name, createdAt: iso(p.created_at), stages: stages.map(toStage) };
}

async function everyone(em: Em, tenantId: string) {
  return (await rows<{ id: string }>(em, 'select id from users where tenant_id = ?', [tenantId])).map((r) => r.id);
}

/** Pipelines and stages are tenant configuration: everyone reads them, admins change them. */
export class PipelineService {
  constructor(private wp: WritePath) {}

  async list(v: Viewer): Promise<PipelineRecord[]> {
    const em = this.wp.read();
    const ps = await rows(em, 'select * from pipelines where tenant_id = ? order by created_at, id', [v.tenantId]);
    const stages = await rows(em, 'select * from stages where tenant_id = ? order by order_index, id', [v.tenantId]);
    return ps.map((p) => ({
      id: p.id,
      name: p.name,
      createdAt: iso(p.created_at),
      stages: stages.filter((s) => s.pipeline_id === p.id).map(toStage),
    }));
  }

  async get(v: Viewer, id: string): Promise<PipelineRecord> {
    const p = await loadPipeline(this.wp.read(), v.tenantId, id);
    if (!p) throw notFound('Pipeline');
    return p;
  }

  async create(v: Viewer, input: z.output<typeof PipelineCreateInput>): Promise<PipelineRecord> {
    if (v.role !== 'ADMIN') throw forbidden('Only an admin can create pipelines');
    return this.wp.write(v, async (tx) => {
      const id = await insertPipeline(tx.em, v.tenantId, input.name, input.stages);
      const rec = (await loadPipeline(tx.em, v.tenantId, id))!;
      tx.emit('pipeline.created', 'pipeline', id, rec, await everyone(tx.em, v.tenantId));
      return rec;
    });
  }

  /**
   * Renames, reorders, adds and removes stages. `stages` is the full new ordered list; stages omitted
   * are removed, which is refused while deals still sit in them.
   */
  async patch(v: Viewer, id: string, input: z.output<typeof PipelinePatchInput>): Promise<PipelineRecord> {
    if (v.role !== 'ADMIN') throw forbidden('Only an admin can change pipelines');
    return this.wp.write(v, async (tx) => {
      const cur = await one(tx.em, 'select id from pipelines where id = ? and tenant_id = ? for update', [id, v.tenantId]);
      if (!cur) throw notFound('Pipeline');
      const before = (await loadPipeline(tx.em, v.tenantId, id))!;
      if (input.name) await run(tx.em, 'update pipelines set name = ? where id = ?', [input.name, id]);
      if (input.stages) {
        const existing = await rows(tx.em, 'select id from stages where pipeline_id = ?', [id]);
        const existingIds = new Set(existing.map((s) => s.id));
        for (const s of input.stages)
          if (s.id && !existingIds.has(s.id)) throw validationFailed([{ path: 'stages', message: `stage ${s.id} is not in this pipeline` }]);
        const keep = new Set(input.stages.filter((s) => s.id).map((s) => s.id!));
        const removed = [...existingIds].filter((x) => !keep.has(x));
        if (removed.length) {
          const used = await one(tx.em, `select count(*)::int as n from deals where stage_id in (${removed.map(() => '?').join(',')})`, removed);
          if (used.n > 0) throw conflict('STAGE_IN_USE', 'A removed stage still holds deals; move them first', { stageIds: removed });
          await run(
            tx.em,
            `update deal_stage_history set from_stage_id = null where from_stage_id in (${removed.map(() => '?').join(',')})`,
            removed,
          );
          const hist = await one(
            tx.em,
            `select count(*)::int as n from deal_stage_history where to_stage_id in (${removed.map(() => '?').join(',')})`,
            removed,
          );
          if (hist.n > 0) throw conflict('STAGE_IN_USE', 'A removed stage appears in deal history', { stageIds: removed });
          await run(tx.em, `delete from stages where id in (${removed.map(() => '?').join(',')})`, removed);
        }
        let i = 0;
        for (const s of input.stages) {
          if (s.id)
            await run(tx.em, 'update stages set name = ?, win_probability = ?, order_index = ?, outcome = ? where id = ?', [
              s.name,
              s.winProbability,
              i,
              outcomeOf(s),
              s.id,
            ]);
          else
            await run(
              tx.em,
              'insert into stages (id, tenant_id, pipeline_id, name, order_index, win_probability, outcome) values (?, ?, ?, ?, ?, ?, ?)',
              [crypto.randomUUID(), v.tenantId, id, s.name, i, s.winProbability, outcomeOf(s)],
            );
          i++;
        }
      }
      const rec = (await loadPipeline(tx.em, v.tenantId, id))!;
      tx.emitUpdate('pipeline.updated', 'pipeline', before, rec, await everyone(tx.em, v.tenantId));
      return rec;
    });
  }
}
