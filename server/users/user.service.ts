import type { z } from 'zod';
import type { UserCreateInput, UserPatchInput, UserRecord } from '../../shared/schemas.js';
import type { Viewer } from '../auth/viewer.js';
import type { WritePath } from '../db/write.js';
import type { Policy } from '../policy/policy.js';
import { one, rows } from '../db/sql.js';
import { forbidden, notFound } from '../http/errors.js';
import { hashPassword } from '../auth/auth.service.js';
import { USER_COLUMNS, toUser } from './user.record.js';
import { UserCommands } from './user.commands.js';

export class UserService {
  readonly commands: UserCommands;
  constructor(
    private wp: WritePath,
    private policy: Policy,
  ) {
    this.commands = new UserCommands(policy);
  }

  /** Teammates are visible to everyone in the tenant (owners, share targets, @mentions need them). */
  async list(v: Viewer): Promise<UserRecord[]> {
    return (await rows(this.wp.read(), `select ${USER_COLUMNS} from users u where u.tenant_id = ? order by u.name, u.id`, [v.tenantId])).map(toUser);
  }

  async get(v: Viewer, id: string): Promise<UserRecord> {
    const r = await one(this.wp.read(), `select ${USER_COLUMNS} from users u where u.id = ? and u.tenant_id = ?`, [id, v.tenantId]);
    if (!r) throw notFound('User');
    return toUser(r);
  }

  async create(v: Viewer, input: z.output<typeof UserCreateInput>): Promise<UserRecord> {
    if (!this.policy.isAdmin(v)) throw forbidden('Only an admin can add users');
    const hash = await hashPassword(input.password);
    const rec = await this.wp.write(v, (tx) => this.commands.create(tx, input, hash));
    this.policy.invalidateOrg(v.tenantId);
    return rec;
  }

  /** Admins change anyone; others may change only their own name and password. */
  async patch(v: Viewer, id: string, input: z.output<typeof UserPatchInput>): Promise<UserRecord> {
    const self = id === v.id;
    if (!this.policy.isAdmin(v)) {
      if (!self) throw forbidden('Only an admin can change other users');
      if (input.role !== undefined || input.managerId !== undefined || input.email !== undefined)
        throw forbidden('Only an admin can change roles, managers and emails');
    }
    const hash = input.password ? await hashPassword(input.password) : null;
    const rec = await this.wp.write(v, (tx) => this.commands.patch(tx, id, input, hash, self));
    this.policy.invalidateOrg(v.tenantId);
    return rec;
  }
}
