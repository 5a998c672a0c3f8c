import type { Router } from 'express';
import { z } from 'zod';
import { route } from '../http/route.js';
import {
  DealCreateInput,
  DealListQuery,
  DealPatchInput,
  DealRecord,
  MoveInput,
  StageHistoryRecord,
  TimelineQuery,
  ActivityRecord,
  page,
} from '../../shared/schemas.js';
import type { DealService } from './deal.service.js';
import type { ActivityService } from '../activities/activity.service.js';

export function dealRoutes(r: Router, deals: DealService, activities: ActivityService) {
  route(
    r,
    {
      method: 'get',
      path: '/deals',
      summary: 'Visible deals; keyset pages; filters and cf.<field>=value',
      tag: 'deals',
      query: DealListQuery,
      response: page(DealRecord),
    },
    ({ viewer, query, req }) => deals.list(viewer, query, req.query as any),
  );
  route(
    r,
    { method: 'post', path: '/deals', summary: 'Create a deal', tag: 'deals', body: DealCreateInput, response: DealRecord, status: 201 },
    ({ viewer, body }) => deals.create(viewer, body),
  );
  route(r, { method: 'get', path: '/deals/:id', summary: 'One deal', tag: 'deals', response: DealRecord }, ({ viewer, params }) =>
    deals.get(viewer, params.id),
  );
  route(
    r,
    {
      method: 'patch',
      path: '/deals/:id',
      summary: 'Change a deal (send version for optimistic concurrency)',
      tag: 'deals',
      body: DealPatchInput,
      response: DealRecord,
    },
    ({ viewer, params, body }) => deals.patch(viewer, params.id, body),
  );
  route(r, { method: 'delete', path: '/deals/:id', summary: 'Delete a deal', tag: 'deals' }, async ({ viewer, params }) => {
    await deals.remove(viewer, params.id);
  });
  route(
    r,
    {
      method: 'post',
      path: '/deals/:id/move',
      summary: 'Move to another stage of its pipeline (422 INVALID_STAGE, 409 VERSION_CONFLICT)',
      tag: 'deals',
      body: MoveInput,
      response: DealRecord,
    },
    ({ viewer, params, body }) => deals.move(viewer, params.id, body),
  );
  route(
    r,
    { method: 'get', path: '/deals/:id/history', summary: 'Stage history, oldest first', tag: 'deals', response: z.array(StageHistoryRecord) },
    ({ viewer, params }) => deals.history(viewer, params.id),
  );
  route(
    r,
    {
      method: 'get',
      path: '/deals/:id/timeline',
      summary: 'Activities on the deal, newest first, keyset pages',
      tag: 'deals',
      query: TimelineQuery,
      response: page(ActivityRecord),
    },
    ({ viewer, params, query }) => activities.timeline(viewer, 'deal', params.id, query),
  );
}
