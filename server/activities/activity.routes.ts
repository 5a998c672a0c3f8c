import type { Router } from 'express';
import { route } from '../http/route.js';
import { ActivityCreateInput, ActivityListQuery, ActivityPatchInput, ActivityRecord, Inbox, page } from '../../shared/schemas.js';
import type { ActivityService } from './activity.service.js';

export function activityRoutes(r: Router, activities: ActivityService) {
  route(
    r,
    {
      method: 'get',
      path: '/activities',
      summary: 'Visible activities, newest first, keyset pages',
      tag: 'activities',
      query: ActivityListQuery,
      response: page(ActivityRecord),
    },
    ({ viewer, query }) => activities.list(viewer, query),
  );
  route(
    r,
    {
      method: 'post',
      path: '/activities',
      summary: 'Log an activity or create a task',
      tag: 'activities',
      body: ActivityCreateInput,
      response: ActivityRecord,
      status: 201,
    },
    ({ viewer, body }) => activities.create(viewer, body),
  );
  route(r, { method: 'get', path: '/activities/:id', summary: 'One activity', tag: 'activities', response: ActivityRecord }, ({ viewer, params }) =>
    activities.get(viewer, params.id),
  );
  route(
    r,
    {
      method: 'patch',
      path: '/activities/:id',
      summary: 'Change, complete or reschedule',
      tag: 'activities',
      body: ActivityPatchInput,
      response: ActivityRecord,
    },
    ({ viewer, params, body }) => activities.patch(viewer, params.id, body),
  );
  route(r, { method: 'delete', path: '/activities/:id', summary: 'Delete an activity', tag: 'activities' }, async ({ viewer, params }) => {
    await activities.remove(viewer, params.id);
  });
  route(
    r,
    { method: 'get', path: '/inbox', summary: "The caller's open tasks: overdue and upcoming, by due time", tag: 'activities', response: Inbox },
    ({ viewer }) => activities.inbox(viewer),
  );
}
