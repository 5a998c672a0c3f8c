import type { Router } from 'express';
import { route } from '../http/route.js';
import { forbidden } from '../http/errors.js';
import { AuditEntry, AuditQuery, page } from '../../shared/schemas.js';
import type { WritePath } from '../db/write.js';
import { auditPage } from './audit.consumer.js';

export function auditRoutes(r: Router, wp: WritePath) {
  route(
    r,
    {
      method: 'get',
      path: '/audit',
      summary: 'The field-level audit log, newest first (admin); keyset by seq: pass nextCursor as `before`',
      tag: 'audit',
      query: AuditQuery,
      response: page(AuditEntry),
    },
    async ({ viewer, query }) => {
      if (viewer.role !== 'ADMIN') throw forbidden('Only an admin can read the audit log');
      return auditPage(wp.read(), viewer.tenantId, query);
    },
  );
}
