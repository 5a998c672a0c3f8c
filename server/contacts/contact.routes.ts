import type { Router } from 'express';
import { z } from 'zod';
import { route } from '../http/route.js';
import {
  ContactCreateInput,
  ContactListQuery,
  ContactPatchInput,
  ContactRecord,
  ShareInput,
  ShareRecord,
  TimelineQuery,
  ActivityRecord,
  page,
} from '../../shared/schemas.js';
import type { ContactService } from './contact.service.js';
import type { ActivityService } from '../activities/activity.service.js';

export function contactRoutes(r: Router, contacts: ContactService, activities: ActivityService) {
  route(
    r,
    {
      method: 'get',
      path: '/contacts',
      summary: 'Visible contacts; keyset pages; q, ownerId, companyId, tag, source, cf.<field>=value',
      tag: 'contacts',
      query: ContactListQuery,
      response: page(ContactRecord),
    },
    ({ viewer, query, req }) => contacts.list(viewer, query, req.query as any),
  );
  route(
    r,
    {
      method: 'post',
      path: '/contacts',
      summary: 'Create a contact (409 DUPLICATE_EMAIL)',
      tag: 'contacts',
      body: ContactCreateInput,
      response: ContactRecord,
      status: 201,
    },
    ({ viewer, body }) => contacts.create(viewer, body),
  );
  route(
    r,
    {
      method: 'get',
      path: '/contacts/:id',
      summary: "One contact, with the caller's access (read or write)",
      tag: 'contacts',
      response: ContactRecord.extend({ access: z.enum(['read', 'write']) }),
    },
    ({ viewer, params }) => contacts.get(viewer, params.id),
  );
  route(
    r,
    { method: 'patch', path: '/contacts/:id', summary: 'Change a contact', tag: 'contacts', body: ContactPatchInput, response: ContactRecord },
    ({ viewer, params, body }) => contacts.patch(viewer, params.id, body),
  );
  route(r, { method: 'delete', path: '/contacts/:id', summary: 'Delete a contact', tag: 'contacts' }, async ({ viewer, params }) => {
    await contacts.remove(viewer, params.id);
  });
  route(
    r,
    {
      method: 'get',
      path: '/contacts/:id/timeline',
      summary: 'Activities, newest first, keyset pages',
      tag: 'contacts',
      query: TimelineQuery,
      response: page(ActivityRecord),
    },
    ({ viewer, params, query }) => activities.timeline(viewer, 'contact', params.id, query),
  );
  route(
    r,
    { method: 'get', path: '/contacts/:id/shares', summary: 'Who the contact is shared with', tag: 'contacts', response: z.array(ShareRecord) },
    ({ viewer, params }) => contacts.listShares(viewer, params.id),
  );
  route(
    r,
    {
      method: 'post',
      path: '/contacts/:id/shares',
      summary: 'Share with a teammate (READ or WRITE)',
      tag: 'contacts',
      body: ShareInput,
      response: ShareRecord,
      status: 201,
    },
    ({ viewer, params, body }) => contacts.share(viewer, params.id, body),
  );
  route(r, { method: 'delete', path: '/contacts/:id/shares/:userId', summary: 'Stop sharing', tag: 'contacts' }, async ({ viewer, params }) => {
    await contacts.unshare(viewer, params.id, params.userId);
  });
}
