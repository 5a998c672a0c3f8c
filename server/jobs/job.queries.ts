import { one, run, type Em } from '../db/sql.js';
import type { JobRecord, JobStatus } from '../../shared/schemas.js';

/** SQL over `jobs`: the public record of a background job (pg-boss keeps the execution state). */

export interface JobRow {
  id: string;
  tenant_id: string;
  kind: string;
  status: JobStatus;
  started_by: string | null;
  total: number;
  done: number;
  failed: number;
  error: string | null;
  attempts: number;
  data: unknown;
}

export const toJobRecord = (r: Pick<JobRow, 'id' | 'kind' | 'status' | 'total' | 'done' | 'failed' | 'error'>): JobRecord => ({
  id: r.id,
  kind: r.kind,
  status: r.status,
  total: r.total,
  done: r.done,
  failed: r.failed,
  error: r.error ?? null,
});

export async function insertJob(em: Em, j: { id: string; tenantId: string; kind: string; startedBy: string | null; data: unknown }): Promise<void> {
  await run(em, 'insert into jobs (id, tenant_id, kind, started_by, data) values (?, ?, ?, ?, ?::jsonb)', [
    j.id,
    j.tenantId,
    j.kind,
    j.startedBy,
    JSON.stringify(j.data ?? {}),
  ]);
}

export async function loadJob(em: Em, id: string): Promise<JobRow | undefined> {
  const r = await one<JobRow>(em, 'select * from jobs where id = ?', [id]);
  return r ? { ...r, data: typeof r.data === 'string' ? JSON.parse(r.data) : r.data } : undefined;
}

/** A job as `viewer` may see it: whoever started it, and the tenant's admins; anyone else gets nothing. */
export async function visibleJob(em: Em, viewer: { id: string; tenantId: string; role: string }, id: string): Promise<JobRecord | undefined> {
  const r = await one<JobRow>(
    em,
    `select id, kind, status, total, done, failed, error from jobs
      where id = ? and tenant_id = ? and (started_by = ? or ? = 'ADMIN')`,
    [id, viewer.tenantId, viewer.id, viewer.role],
  );
  return r ? toJobRecord(r) : undefined;
}

export async function saveJob(em: Em, j: JobRecord & { attempts?: number }): Promise<void> {
  await run(
    em,
    `update jobs set status = ?, total = ?, done = ?, failed = ?, error = ?, attempts = coalesce(?, attempts), updated_at = now() where id = ?`,
    [j.status, j.total, j.done, j.failed, j.error, j.attempts ?? null, j.id],
  );
}
