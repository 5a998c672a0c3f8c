import crypto from 'node:crypto';
import type { z } from 'zod';
import type { PipelineCreateInput, PipelinePatchInput, PipelineRecord } from '../../shared/schemas.js';
import type { Tx } from '../db/write.js';
import { one, rows, run } from '../db/sql.js';
import { notFound, validationFailed, conflict } from '../http/errors.js';
import { everyone, insertPipeline, loadPipeline, outcomeOf } from './pipeline.repository.js';

/** Pipeline commands; each runs inside the caller's unit of work. Only admins reach them (the service checks). */
export class PipelineCommands {
  async create(tx: Tx, input: z.output<typeof PipelineCreateInput>): Promise<PipelineRecord> {
    const id = await insertPipeline(tx.em, tx.tenantId, input.name, input.stages);
    const rec = (await loadPipeline(tx.em, tx.tenantId, id))!;
    tx.emit('pipeline.created', 'pipeline', id, rec, await everyone(tx.em, tx.tenantId));
    return rec;
  }

  /**
   * Renames, reorders, adds and removes stages. `stages` is the full new ordered list; stages omitted
   * are removed, which is refused while deals still sit in them.
   */
  async patch(tx: Tx, id: string, input: z.output<typeof PipelinePatchInput>): Promise<PipelineRecord> {
    const cur = await one(tx.em, 'select id from pipelines where id = ? and tenant_id = ? for update', [id, tx.tenantId]);
    if (!cur) throw notFound('Pipeline');
    const before = (await loadPipeline(tx.em, tx.tenantId, id))!;
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
        await run(tx.em, `update deal_stage_history set from_stage_id = null where from_stage_id in (${removed.map(() => '?').join(',')})`, removed);
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
            [crypto.randomUUID(), tx.tenantId, id, s.name, i, s.winProbability, outcomeOf(s)],
          );
        i++;
      }
    }
    const rec = (await loadPipeline(tx.em, tx.tenantId, id))!;
    tx.emitUpdate('pipeline.updated', 'pipeline', before, rec, await everyone(tx.em, tx.tenantId));
    return rec;
  }
}
