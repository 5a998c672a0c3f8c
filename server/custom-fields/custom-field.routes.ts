import type { Router } from 'express';
import { z } from 'zod';
import { route } from '../http/route.js';
import { CustomEntityType, CustomFieldCreateInput, CustomFieldPatchInput, CustomFieldRecord } from '../../shared/schemas.js';
import type { CustomFieldService } from './custom-field.service.js';

export function customFieldRoutes(r: Router, fields: CustomFieldService) {
  route(r, { method: 'get', path: '/custom-fields', summary: 'Custom field definitions', tag: 'custom-fields', query: z.object({ entityType: CustomEntityType.optional() }), response: z.array(CustomFieldRecord) },
    ({ viewer, query }) => fields.list(viewer, query.entityType));
  route(r, { method: 'post', path: '/custom-fields', summary: 'Define a custom field (admin); indexed builds an expression index concurrently', tag: 'custom-fields', body: CustomFieldCreateInput, response: CustomFieldRecord, status: 201 },
    ({ viewer, body }) => fields.create(viewer, body));
  route(r, { method: 'patch', path: '/custom-fields/:id', summary: 'Change options or index a field (admin)', tag: 'custom-fields', body: CustomFieldPatchInput, response: CustomFieldRecord },
    ({ viewer, params, body }) => fields.patch(viewer, params.id, body));
}
