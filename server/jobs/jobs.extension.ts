import type { PulseContext, PulseExtension } from '../extension.js';
import type { JobKind } from './job.js';
import { Jobs, type JobsOptions } from './jobs.js';
import { customFieldIndexJob } from './custom-field-index.job.js';

/**
 * Background jobs (pg-boss on the node's own database) and the first job kind: building a custom
 * field's index. Other features add kinds with `ext.jobs().define(kind)` from their attach().
 */
export function jobsExtension(opts: JobsOptions & { kinds?: JobKind[] } = {}): PulseExtension & { jobs(): Jobs | null } {
  let jobs: Jobs | null = null;
  return {
    name: 'jobs',
    jobs: () => jobs,
    async attach(ctx: PulseContext) {
      const j = new Jobs(ctx.orm, ctx.wp, ctx.log.child({ ext: 'jobs' }), opts);
      await j.define(customFieldIndexJob(ctx.wp, ctx.services.customFields));
      for (const k of opts.kinds ?? []) await j.define(k);
      await j.start();
      ctx.services.customFields.useJobs((v, f) =>
        j.enqueue({ tenantId: v.tenantId, userId: v.id }, 'custom-field-index', { tenantId: v.tenantId, fieldId: f.id }),
      );
      jobs = j;
    },
    health() {
      return jobs ? { engine: 'pg-boss', running: jobs.running, completed: jobs.completed, failed: jobs.failed } : { status: 'starting' };
    },
    async close() {
      await jobs?.stop();
    },
  };
}
