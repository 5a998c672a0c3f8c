import crypto from 'node:crypto';
import type { PipelineRecord, StageRecord } from '../../shared/schemas.js';
import { one, rows, run, iso, type Em } from '../db/sql.js';

/** Pipelines and their ordered stages: typed rows, reads and inserts, shared by the commands, deals and sign-up. */

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

export async function insertPipeline(em: Em, tenantId: string, name: string, stages: StageIn[]): Promise<string> {
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

export async function everyone(em: Em, tenantId: string) {
  return (await rows<{ id: string }>(em, 'select id from users where tenant_id = ?', [tenantId])).map((r) => r.id);
}
