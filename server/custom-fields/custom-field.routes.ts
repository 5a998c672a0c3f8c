import type { Router } from 'express';
import { z } from 'zod';
import { route } from '../http/route.js';
import { CustomEntityType, CustomFieldCreateInput, CustomFieldPatchInput, CustomFieldRecord, CustomFieldWriteResult } from '../../shared/schemas.js';
import type { CustomFieldService } from './custom-field.service.js';

export function customFieldRoutes(r: Router, fields: CustomFieldService) {
  route(
    r,
    {
      method: 'get',
      path: '/custom-fields',
      summary: 'Custom field definitions',
      tag: 'custom-fields',
      query: z.object({ entityType: CustomEntityType.optional() }),
      response: z.array(CustomFieldRecord),
    },
    ({ viewer, query }) => fields.list(viewer, query.entityType),
  );
  route(
    r,
    {
      method: 'post',
      path: '/custom-fields',
      summary: 'Define a custom field (admin); indexed builds an expression index concurrently in a background job (jobId)',
      tag: 'custom-fields',
      body: CustomFieldCreateInput,
      response: CustomFieldWriteResult,
      status: 201,
    },
    ({ viewer, body }) => fields.create(viewer, body),
  );
  route(
    r,
    {
      method: 'patch',
      path: '/custom-fields/:id',
      summary: 'Change options or index a field (admin); indexing runs as a background job (jobId)',
      tag: 'custom-fields',
      body: CustomFieldPatchInput,
      response: CustomFieldWriteResult,
    },
    ({ viewer, params, body }) => fields.patch(viewer, params.id, body),
  );
}
