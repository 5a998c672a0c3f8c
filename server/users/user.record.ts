import type { UserRecord } from '../../shared/schemas.js';
import { iso, one, type Em } from '../db/sql.js';

export const USER_COLUMNS = 'u.id, u.tenant_id, u.name, u.email, u.role, u.manager_id, u.created_at';

export interface UserRow {
  id: string;
  tenant_id: string;
  name: string;
  email: string;
  role: UserRecord['role'];
  manager_id: string | null;
  created_at: Date | string;
}

export function toUser(r: UserRow): UserRecord {
  return { id: r.id, name: r.name, email: r.email, role: r.role, managerId: r.manager_id ?? null, createdAt: iso(r.created_at) };
}

/** One user of any tenant by id (callers have already pinned the tenant). */
export async function loadUser(em: Em, id: string): Promise<UserRecord> {
  const r = await one<UserRow>(em, `select ${USER_COLUMNS} from users u where u.id = ?`, [id]);
  if (!r) throw new Error(`user ${id} vanished inside its own transaction`);
  return toUser(r);
}
