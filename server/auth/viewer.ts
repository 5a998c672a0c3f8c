import type { Role } from '../../shared/schemas.js';

/** The authenticated caller every service method acts for. */
export interface Viewer {
  id: string;
  tenantId: string;
  role: Role;
  managerId: string | null;
  name: string;
  email: string;
}
