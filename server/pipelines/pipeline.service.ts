import type { z } from 'zod';
import type { PipelineCreateInput, PipelinePatchInput, PipelineRecord } from '../../shared/schemas.js';
import type { Viewer } from '../auth/viewer.js';
import type { WritePath } from '../db/write.js';
import type { Policy } from '../policy/policy.js';
import { iso, rows } from '../db/sql.js';
import { forbidden, notFound } from '../http/errors.js';
import { PipelineCommands } from './pipeline.commands.js';
import { loadPipeline, toStage } from './pipeline.repository.js';

/** Pipelines and stages are tenant configuration: everyone reads them, admins change them. */
export class PipelineService {
  readonly commands = new PipelineCommands();
  constructor(
    private wp: WritePath,
    private policy: Policy,
  ) {}

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

  create(v: Viewer, input: z.output<typeof PipelineCreateInput>): Promise<PipelineRecord> {
    if (!this.policy.isAdmin(v)) throw forbidden('Only an admin can create pipelines');
    return this.wp.write(v, (tx) => this.commands.create(tx, input));
  }

  patch(v: Viewer, id: string, input: z.output<typeof PipelinePatchInput>): Promise<PipelineRecord> {
    if (!this.policy.isAdmin(v)) throw forbidden('Only an admin can change pipelines');
    return this.wp.write(v, (tx) => this.commands.patch(tx, id, input));
  }
}
