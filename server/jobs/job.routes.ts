import type { Router } from 'express';
import { route } from '../http/route.js';
import { notFound } from '../http/errors.js';
import { JobRecord } from '../../shared/schemas.js';
import type { WritePath } from '../db/write.js';
import { visibleJob } from './job.queries.js';

export function jobRoutes(r: Router, wp: WritePath) {
  route(
    r,
    {
      method: 'get',
      path: '/jobs/:id',
      summary: 'A background job: status and counts (the user who started it, or an admin)',
      tag: 'jobs',
      response: JobRecord,
    },
    async ({ viewer, params }) => {
      const job = await visibleJob(wp.read(), viewer, params.id);
      if (!job) throw notFound('Job');
      return job;
    },
  );
}
