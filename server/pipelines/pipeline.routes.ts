import type { Router } from 'express';
import { z } from 'zod';
import { route } from '../http/route.js';
import { Board, BoardQuery, PipelineCreateInput, PipelinePatchInput, PipelineRecord } from '../../shared/schemas.js';
import type { PipelineService } from './pipeline.service.js';
import type { DealService } from '../deals/deal.service.js';

export function pipelineRoutes(r: Router, pipelines: PipelineService, deals: DealService) {
  route(
    r,
    { method: 'get', path: '/pipelines', summary: 'Pipelines with ordered stages', tag: 'pipelines', response: z.array(PipelineRecord) },
    ({ viewer }) => pipelines.list(viewer),
  );
  route(
    r,
    {
      method: 'post',
      path: '/pipelines',
      summary: 'Create a pipeline (admin)',
      tag: 'pipelines',
      body: PipelineCreateInput,
      response: PipelineRecord,
      status: 201,
    },
    ({ viewer, body }) => pipelines.create(viewer, body),
  );
  route(r, { method: 'get', path: '/pipelines/:id', summary: 'One pipeline', tag: 'pipelines', response: PipelineRecord }, ({ viewer, params }) =>
    pipelines.get(viewer, params.id),
  );
  route(
    r,
    {
      method: 'patch',
      path: '/pipelines/:id',
      summary: 'Rename; reorder, add, change or remove stages (admin)',
      tag: 'pipelines',
      body: PipelinePatchInput,
      response: PipelineRecord,
    },
    ({ viewer, params, body }) => pipelines.patch(viewer, params.id, body),
  );
  route(
    r,
    {
      method: 'get',
      path: '/pipelines/:id/board',
      summary: 'Stages in order with visible open deals, count, total and weighted amount',
      tag: 'pipelines',
      query: BoardQuery,
      response: Board,
    },
    ({ viewer, params, query }) => deals.board(viewer, params.id, query.ownerId),
  );
}
