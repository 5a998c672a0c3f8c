import crypto from 'node:crypto';
import type { z } from 'zod';
import type { UserCreateInput, UserPatchInput, UserRecord } from '../../shared/schemas.js';
import type { Tx } from '../db/write.js';
import type { Policy } from '../policy/policy.js';
import { noticeAccessChange } from '../policy/access-notices.js';
import { one, rows, run } from '../db/sql.js';
import { AppError, conflict, notFound } from '../http/errors.js';
import { loadUser } from './user.record.js';

/**
 * User commands; each runs inside the caller's unit of work (see deal.commands.ts). Who may call them
 * (admins, or a user on themself) is checked by the service, which also hashes passwords outside the
 * transaction (argon2 is slow on purpose and must not hold row locks).
 */
export class UserCommands {
  constructor(private policy: Policy) {}

  private async checkManager(tx: Tx, managerId: string | null | undefined, selfId?: string) {
    if (!managerId) return;
    if (managerId === selfId) throw new AppError(422, 'INVALID_MANAGER', 'A user cannot manage themself');
    const m = await one(tx.em, 'select id from users where id = ? and tenant_id = ?', [managerId, tx.tenantId]);
    if (!m) throw new AppError(422, 'INVALID_REFERENCE', 'Manager does not exist', { path: 'managerId' });
  }

  private async emitOrg(tx: Tx, type: 'user.created' | 'user.updated', u: UserRecord, before?: UserRecord) {
    // Org changes change what everyone's manager sees: the whole tenant hears, and every node drops its cached report lists.
    this.policy.invalidateOrg(tx.tenantId);
    const all = (await rows<{ id: string }>(tx.em, 'select id from users where tenant_id = ?', [tx.tenantId])).map((r) => r.id);
    if (before) tx.emitUpdate(type, 'user', before, u, all);
    else tx.emit(type, 'user', u.id, u, all);
  }

  async create(tx: Tx, input: z.output<typeof UserCreateInput>, hash: string): Promise<UserRecord> {
    await this.checkManager(tx, input.managerId);
    const dup = await one(tx.em, 'select 1 from users where tenant_id = ? and lower(email) = ?', [tx.tenantId, input.email.toLowerCase()]);
    if (dup) throw conflict('DUPLICATE_EMAIL', 'A user with this email already exists');
    const id = crypto.randomUUID();
    await run(tx.em, 'insert into users (id, tenant_id, name, email, password_hash, role, manager_id) values (?, ?, ?, ?, ?, ?, ?)', [
      id,
      tx.tenantId,
      input.name,
      input.email,
      hash,
      input.role,
      input.managerId ?? null,
    ]);
    const u = await loadUser(tx.em, id);
    await this.emitOrg(tx, 'user.created', u);
    return u;
  }

  async patch(tx: Tx, id: string, input: z.output<typeof UserPatchInput>, hash: string | null, self: boolean): Promise<UserRecord> {
    const cur = await one<{ id: string; role: string; manager_id: string | null }>(
      tx.em,
      'select id, role, manager_id from users where id = ? and tenant_id = ? for update',
      [id, tx.tenantId],
    );
    if (!cur) throw notFound('User');
    const before = await loadUser(tx.em, id);
    await this.checkManager(tx, input.managerId, id);
    if (input.managerId) {
      // Refuse a reporting cycle (A manages B manages A).
      const cycle = await one(
        tx.em,
        `with recursive up(id, manager_id, depth) as (
          select id, manager_id, 0 from users where id = ? union all
          select u.id, u.manager_id, up.depth + 1 from users u join up on u.id = up.manager_id where up.depth < 100)
        select 1 from up where id = ?`,
        [input.managerId, id],
      );
      if (cycle) throw new AppError(422, 'INVALID_MANAGER', 'That would make a reporting cycle');
    }
    if (self && input.role && input.role !== 'ADMIN' && cur.role === 'ADMIN') {
      const admins = await one(tx.em, `select count(*)::int as n from users where tenant_id = ? and role = 'ADMIN'`, [tx.tenantId]);
      if (admins.n <= 1) throw new AppError(422, 'LAST_ADMIN', 'A workspace needs at least one admin');
    }
    if (input.email) {
      const dup = await one(tx.em, 'select 1 from users where tenant_id = ? and lower(email) = ? and id <> ?', [
        tx.tenantId,
        input.email.toLowerCase(),
        id,
      ]);
      if (dup) throw conflict('DUPLICATE_EMAIL', 'A user with this email already exists');
    }
    const sets: string[] = [];
    const vals: unknown[] = [];
    if (input.name !== undefined) {
      sets.push('name = ?');
      vals.push(input.name);
    }
    if (input.email !== undefined) {
      sets.push('email = ?');
      vals.push(input.email);
    }
    if (input.role !== undefined) {
      sets.push('role = ?');
      vals.push(input.role);
    }
    if (input.managerId !== undefined) {
      sets.push('manager_id = ?');
      vals.push(input.managerId);
    }
    if (hash) {
      sets.push('password_hash = ?');
      vals.push(hash);
    }
    sets.push('updated_at = now()');
    await run(tx.em, `update users set ${sets.join(', ')} where id = ?`, [...vals, id]);
    if (hash) await run(tx.em, 'delete from sessions where user_id = ? and ? = false', [id, self]);
    const u = await loadUser(tx.em, id);
    await this.emitOrg(tx, 'user.updated', u, before);
    if (input.managerId !== undefined && (input.managerId ?? null) !== (cur.manager_id ?? null))
      await this.noticeManagerChange(tx, id, cur.manager_id ?? null, input.managerId ?? null);
    return u;
  }

  /**
   * A manager sees their direct reports' records: moving a user to another manager takes all of that
   * user's records out of the old manager's sight and into the new one's. One notice each ("records owned
   * by this user"), not one per record: their screens refetch, note sessions and presence re-check.
   */
  private async noticeManagerChange(tx: Tx, userId: string, oldManager: string | null, newManager: string | null) {
    const managers = await rows<{ id: string; role: string }>(tx.em, `select id, role from users where id = any(?::uuid[]) and tenant_id = ?`, [
      `{${[oldManager, newManager].filter(Boolean).join(',')}}`,
      tx.tenantId,
    ]);
    // Admins see everything either way and reps only their own: only a MANAGER's sight changes.
    const sightChanges = (id: string | null) => !!id && managers.some((m) => m.id === id && m.role === 'MANAGER');
    noticeAccessChange(
      tx,
      { entityType: 'owner', entityId: userId },
      sightChanges(oldManager) ? [oldManager!] : [],
      sightChanges(newManager) ? [newManager!] : [],
      'manager_changed',
    );
  }
}
