import type { UserRecord } from '../../shared/schemas.js';
import { iso } from '../db/sql.js';

export const USER_COLUMNS = 'u.id, u.tenant_id, u.name, u.email, u.role, u.manager_id, u.created_at';

export function toUser(r: any): UserRecord {
  return { id: r.id, name: r.name, email: r.email, role: r.role, managerId: r.manager_id ?? null, createdAt: iso(r.created_at) };
}
