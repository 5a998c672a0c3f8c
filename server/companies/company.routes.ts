import type { Router } from 'express';
import { route } from '../http/route.js';
import { CompanyCreateInput, CompanyListQuery, CompanyPatchInput, CompanyRecord, page } from '../../shared/schemas.js';
import type { CompanyService } from './company.service.js';

export function companyRoutes(r: Router, companies: CompanyService) {
  route(
    r,
    {
      method: 'get',
      path: '/companies',
      summary: 'Visible companies; keyset pages; filter by cf.<field>=value',
      tag: 'companies',
      query: CompanyListQuery,
      response: page(CompanyRecord),
    },
    ({ viewer, query, req }) => companies.list(viewer, query, req.query as any),
  );
  route(
    r,
    {
      method: 'post',
      path: '/companies',
      summary: 'Create a company',
      tag: 'companies',
      body: CompanyCreateInput,
      response: CompanyRecord,
      status: 201,
    },
    ({ viewer, body }) => companies.create(viewer, body),
  );
  route(r, { method: 'get', path: '/companies/:id', summary: 'One company', tag: 'companies', response: CompanyRecord }, ({ viewer, params }) =>
    companies.get(viewer, params.id),
  );
  route(
    r,
    { method: 'patch', path: '/companies/:id', summary: 'Change a company', tag: 'companies', body: CompanyPatchInput, response: CompanyRecord },
    ({ viewer, params, body }) => companies.patch(viewer, params.id, body),
  );
  route(r, { method: 'delete', path: '/companies/:id', summary: 'Delete a company', tag: 'companies' }, async ({ viewer, params }) => {
    await companies.remove(viewer, params.id);
  });
}
