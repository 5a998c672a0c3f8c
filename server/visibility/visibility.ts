/**
 * The one visibility rule. REST reads, list filters, search hits, reports, socket audiences and note
 * access all ask this module; nothing else decides who sees what.
 *
 *   ADMIN   sees every record of the tenant.
 *   MANAGER sees records owned by themself or by a direct report (users.manager_id = manager).
 *   REP     sees records they own.
 *   A contact share adds that contact (and its activities) for the shared user; WRITE allows edits.
 *   An activity is visible when its contact or its deal is visible, or the viewer is its user.
 * Writes follow the same rule: what you can see (and, for shared contacts, hold WRITE on) you can change.
 */
import type { Viewer } from '../auth/viewer.js';
import { rows, one, pgArray, type Em } from '../db/sql.js';

export type Access = 'write' | 'read' | null;

/** A SQL boolean expression plus its `?` parameters. */
export interface Filter { sql: string; params: unknown[] }

const TTL_MS = 60_000;

export class Visibility {
  private reports = new Map<string, { ids: string[]; at: number }>();

  /** Drop cached report lists: called for every org change (user created/updated), on every node. */
  invalidateOrg(tenantId?: string): void {
    if (!tenantId) this.reports.clear();
    else for (const [k] of this.reports) if (k.startsWith(tenantId + ':')) this.reports.delete(k);
  }

  /** The owners whose records the viewer sees by ownership, or null for "the whole tenant". */
  async ownerScope(em: Em, v: Viewer): Promise<string[] | null> {
    if (v.role === 'ADMIN') return null;
    if (v.role === 'REP') return [v.id];
    const key = `${v.tenantId}:${v.id}`;
    const hit = this.reports.get(key);
    // The TTL is only a backstop; org changes invalidate explicitly.
    if (hit && Date.now() - hit.at < TTL_MS) return hit.ids;
    const r = await rows<{ id: string }>(em, 'select id from users where tenant_id = ? and manager_id = ?', [v.tenantId, v.id]);
    const ids = [v.id, ...r.map((x) => x.id)];
    this.reports.set(key, { ids, at: Date.now() });
    return ids;
  }

  private ownerFilter(scope: string[] | null, col: string): Filter {
    if (scope === null) return { sql: 'true', params: [] };
    if (scope.length === 1) return { sql: `${col} = ?`, params: [scope[0]] };
    return { sql: `${col} = any(?::uuid[])`, params: [pgArray(scope)] };
  }

  /** Filters take the alias of the table in the caller's query; every one also pins the tenant. */
  async companies(em: Em, v: Viewer, a = 'co'): Promise<Filter> {
    const f = this.ownerFilter(await this.ownerScope(em, v), `${a}.owner_id`);
    return { sql: `(${a}.tenant_id = ? and ${f.sql})`, params: [v.tenantId, ...f.params] };
  }

  async deals(em: Em, v: Viewer, a = 'd'): Promise<Filter> {
    const f = this.ownerFilter(await this.ownerScope(em, v), `${a}.owner_id`);
    return { sql: `(${a}.tenant_id = ? and ${f.sql})`, params: [v.tenantId, ...f.params] };
  }

  async contacts(em: Em, v: Viewer, a = 'c'): Promise<Filter> {
    const scope = await this.ownerScope(em, v);
    if (scope === null) return { sql: `(${a}.tenant_id = ?)`, params: [v.tenantId] };
    const f = this.ownerFilter(scope, `${a}.owner_id`);
    return {
      sql: `(${a}.tenant_id = ? and (${f.sql} or exists (select 1 from contact_shares cs where cs.contact_id = ${a}.id and cs.user_id = ?)))`,
      params: [v.tenantId, ...f.params, v.id],
    };
  }

  async activities(em: Em, v: Viewer, a = 'a'): Promise<Filter> {
    const scope = await this.ownerScope(em, v);
    if (scope === null) return { sql: `(${a}.tenant_id = ?)`, params: [v.tenantId] };
    const c = await this.contacts(em, v, 'vc');
    const d = await this.deals(em, v, 'vd');
    return {
      sql: `(${a}.tenant_id = ? and (${a}.user_id = ?
        or exists (select 1 from contacts vc where vc.id = ${a}.contact_id and ${c.sql})
        or exists (select 1 from deals vd where vd.id = ${a}.deal_id and ${d.sql})))`,
      params: [v.tenantId, v.id, ...c.params, ...d.params],
    };
  }

  // ---- single-record checks (404 for anything invisible: never reveal existence)

  async contactAccess(em: Em, v: Viewer, contactId: string): Promise<Access> {
    const row = await one<{ owner_id: string; perm: string | null }>(em,
      `select c.owner_id, (select permission from contact_shares where contact_id = c.id and user_id = ?) as perm
         from contacts c where c.id = ? and c.tenant_id = ?`, [v.id, contactId, v.tenantId]);
    if (!row) return null;
    const scope = await this.ownerScope(em, v);
    if (scope === null || scope.includes(row.owner_id)) return 'write';
    if (row.perm === 'WRITE') return 'write';
    if (row.perm === 'READ') return 'read';
    return null;
  }

  async ownedAccess(em: Em, v: Viewer, table: 'deals' | 'companies', id: string): Promise<Access> {
    const row = await one<{ owner_id: string }>(em, `select owner_id from ${table} where id = ? and tenant_id = ?`, [id, v.tenantId]);
    if (!row) return null;
    const scope = await this.ownerScope(em, v);
    return scope === null || scope.includes(row.owner_id) ? 'write' : null;
  }

  dealAccess(em: Em, v: Viewer, id: string) { return this.ownedAccess(em, v, 'deals', id); }
  companyAccess(em: Em, v: Viewer, id: string) { return this.ownedAccess(em, v, 'companies', id); }

  /** An activity is readable through its contact, its deal or its author; writable by its author or with write on its parent. */
  async activityAccess(em: Em, v: Viewer, id: string): Promise<Access> {
    const row = await one<{ user_id: string; contact_id: string | null; deal_id: string | null }>(em,
      'select user_id, contact_id, deal_id from activities where id = ? and tenant_id = ?', [id, v.tenantId]);
    if (!row) return null;
    if (row.user_id === v.id) return 'write';
    const c = row.contact_id ? await this.contactAccess(em, v, row.contact_id) : null;
    const d = row.deal_id ? await this.dealAccess(em, v, row.deal_id) : null;
    if (c === 'write' || d === 'write') return 'write';
    return c ?? d;
  }

  /** Whether the contact is the viewer's through ownership (not merely a share): needed to reassign, share or delete it. */
  async ownedScopeIncludes(em: Em, v: Viewer, contactId: string): Promise<boolean> {
    const row = await one<{ owner_id: string }>(em, 'select owner_id from contacts where id = ? and tenant_id = ?', [contactId, v.tenantId]);
    if (!row) return false;
    const scope = await this.ownerScope(em, v);
    return scope === null || scope.includes(row.owner_id);
  }

  /** Whether the owner id may be assigned by the viewer: within their own owner scope. */
  async canAssignOwner(em: Em, v: Viewer, ownerId: string): Promise<boolean> {
    const scope = await this.ownerScope(em, v);
    if (scope === null) {
      return !!(await one(em, 'select 1 from users where id = ? and tenant_id = ?', [ownerId, v.tenantId]));
    }
    return scope.includes(ownerId);
  }

  /**
   * Who may see a record: the tenant's admins, its owners, the MANAGER each owner reports to, users the
   * contacts are shared with, and named users (an activity's author). Used for socket audiences; it is
   * the same rule as the filters above, read from the other side.
   */
  async audience(em: Em, tenantId: string, spec: { owners?: (string | null)[]; contacts?: (string | null)[]; users?: (string | null)[] }): Promise<string[]> {
    const owners = (spec.owners ?? []).filter(Boolean) as string[];
    const contacts = (spec.contacts ?? []).filter(Boolean) as string[];
    const users = (spec.users ?? []).filter(Boolean) as string[];
    const r = await rows<{ id: string }>(em,
      `select u.id from users u where u.tenant_id = ? and (
         u.role = 'ADMIN'
         or u.id = any(?::uuid[])
         or u.id = any(?::uuid[])
         or (u.role = 'MANAGER' and u.id in (select o.manager_id from users o where o.id = any(?::uuid[])))
         or u.id in (select cs.user_id from contact_shares cs where cs.contact_id = any(?::uuid[])))`,
      [tenantId, pgArray(owners), pgArray(users), pgArray(owners), pgArray(contacts)]);
    return r.map((x) => x.id).sort();
  }
}
