import type { Router } from 'express';
import { z } from 'zod';
import { route } from '../http/route.js';
import { UserCreateInput, UserPatchInput, UserRecord } from '../../shared/schemas.js';
import type { UserService } from './user.service.js';

export function userRoutes(r: Router, users: UserService) {
  route(r, { method: 'get', path: '/users', summary: 'Users of the workspace', tag: 'users', response: z.array(UserRecord) }, ({ viewer }) =>
    users.list(viewer),
  );
  route(
    r,
    { method: 'post', path: '/users', summary: 'Add a user (admin)', tag: 'users', body: UserCreateInput, response: UserRecord, status: 201 },
    ({ viewer, body }) => users.create(viewer, body),
  );
  route(r, { method: 'get', path: '/users/:id', summary: 'One user', tag: 'users', response: UserRecord }, ({ viewer, params }) =>
    users.get(viewer, params.id),
  );
  route(
    r,
    {
      method: 'patch',
      path: '/users/:id',
      summary: 'Change a user (admin; or yourself: name, password)',
      tag: 'users',
      body: UserPatchInput,
      response: UserRecord,
    },
    ({ viewer, params, body }) => users.patch(viewer, params.id, body),
  );
}
