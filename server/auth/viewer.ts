import type { Role } from '../../shared/schemas.js';
import type { Actor } from './actor.js';

/** The authenticated caller every service method acts for: whose visibility applies, and who is acting. */
export interface Viewer {
  id: string;
  tenantId: string;
  role: Role;
  managerId: string | null;
  name: string;
  email: string;
  /** Who is acting: the user themself, or an API key acting for them. Absent means the user. */
  actor?: Actor;
  /** The request this viewer was authenticated for (X-Request-Id), recorded on every outbox row it writes. */
  requestId?: string | null;
}
