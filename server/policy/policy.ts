/**
 * The one policy module. It decides who sees and who may change what; REST reads and lists, search
 * hits, reports, socket audiences, presence and note access all ask it, and nothing else restates the
 * rules. Declarative in the spirit of Outline's policies: reading comes from the scope (scope.ts), and
 * every write rule is one line of the table in `allowed()` below.
 *
 *   ADMIN   sees and changes every record of the tenant, and alone administers it (users, pipelines,
 *           custom fields, settings).
 *   MANAGER sees and changes records owned by themself or by a direct report (users.manager_id).
 *   REP     sees and changes records they own.
 *   A contact share adds that contact (and its activities) for the shared user: READ to see it, WRITE
 *   to edit it too. Only the owner side shares, reassigns, deletes or merges a contact.
 *   An activity is readable through its contact, its deal or its author; changed by its author or by
 *   whoever may change its parent. Linking a record to a contact (a deal, an activity, a stage-move
 *   note) writes onto that contact's timeline, so it needs write access to the contact.
 * Invisible records answer 404 everywhere: their existence is never revealed.
 */
import type { Viewer } from '../auth/viewer.js';
import { rows, one, pgArray, type Em } from '../db/sql.js';
import { scopeSql, type Filter, type Scope } from './scope.js';

export type Access = 'write' | 'read' | null;
export type Action = 'read' | 'update' | 'delete' | 'share' | 'reassign' | 'merge' | 'link' | 'admin';
export type RecordType = 'deal' | 'contact' | 'company' | 'activity';
export interface RecordRef {
  type: RecordType;
  id: string;
}

/** What the viewer may do with a record; REST records carry it so clients never re-derive the rules. */
export interface Abilities {
  update: boolean;
  delete: boolean;
  share: boolean;
  reassign: boolean;
  merge: boolean;
}
export const NO_ABILITIES: Abilities = { update: false, delete: false, share: false, reassign: false, merge: false };

/** How the viewer relates to one record: the facts every rule is decided from. */
interface Standing {
  exists: boolean;
  owned: boolean;
  share: 'READ' | 'WRITE' | null;
  author: boolean;
  parentWrite: boolean;
  parentRead: boolean;
}

/** Everyone who may see a record, described by its owners, contacts (their shares) and named users (an author). */
export interface AudienceSpec {
  owners?: (string | null | undefined)[];
  contacts?: (string | null | undefined)[];
  users?: (string | null | undefined)[];
}

const TTL_MS = 60_000;
const clean = (xs: (string | null | undefined)[] | undefined) => [...new Set((xs ?? []).filter((x): x is string => !!x))];

export class Policy {
  private reports = new Map<string, { ids: string[]; at: number }>();

  /** Drop cached report lists: called for every org change (user created/updated), on every node. */
  invalidateOrg(tenantId?: string): void {
    if (!tenantId) this.reports.clear();
    else for (const [k] of this.reports) if (k.startsWith(tenantId + ':')) this.reports.delete(k);
  }

  // ---- reading: the scope

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

  async scope(em: Em, v: Viewer): Promise<Scope> {
    const owners = await this.ownerScope(em, v);
    return { tenantId: v.tenantId, all: owners === null, owners: owners ?? [], userId: v.id };
  }

  /** SQL filters for lists and reports; each takes the alias of the entity's table in the caller's query. */
  async deals(em: Em, v: Viewer, a = 'd'): Promise<Filter> {
    return scopeSql(await this.scope(em, v), 'deal', a);
  }
  async companies(em: Em, v: Viewer, a = 'co'): Promise<Filter> {
    return scopeSql(await this.scope(em, v), 'company', a);
  }
  async contacts(em: Em, v: Viewer, a = 'c'): Promise<Filter> {
    return scopeSql(await this.scope(em, v), 'contact', a);
  }
  async activities(em: Em, v: Viewer, a = 'a'): Promise<Filter> {
    return scopeSql(await this.scope(em, v), 'activity', a);
  }

  // ---- one record

  private async standing(em: Em, v: Viewer, ref: RecordRef): Promise<Standing> {
    const none: Standing = { exists: false, owned: false, share: null, author: false, parentWrite: false, parentRead: false };
    const scope = await this.ownerScope(em, v);
    const inScope = (owner: string) => scope === null || scope.includes(owner);
    if (ref.type === 'deal' || ref.type === 'company') {
      const row = await one<{ owner_id: string }>(
        em,
        `select owner_id from ${ref.type === 'deal' ? 'deals' : 'companies'} where id = ? and tenant_id = ?`,
        [ref.id, v.tenantId],
      );
      return row ? { ...none, exists: true, owned: inScope(row.owner_id) } : none;
    }
    if (ref.type === 'contact') {
      const row = await one<{ owner_id: string; perm: 'READ' | 'WRITE' | null }>(
        em,
        `select c.owner_id, (select permission from contact_shares where contact_id = c.id and user_id = ?) as perm
           from contacts c where c.id = ? and c.tenant_id = ?`,
        [v.id, ref.id, v.tenantId],
      );
      return row ? { ...none, exists: true, owned: inScope(row.owner_id), share: row.perm ?? null } : none;
    }
    const row = await one<{ user_id: string; contact_id: string | null; deal_id: string | null }>(
      em,
      'select user_id, contact_id, deal_id from activities where id = ? and tenant_id = ?',
      [ref.id, v.tenantId],
    );
    if (!row) return none;
    const c = row.contact_id ? await this.access(em, v, { type: 'contact', id: row.contact_id }) : null;
    const d = row.deal_id ? await this.access(em, v, { type: 'deal', id: row.deal_id }) : null;
    return { ...none, exists: true, author: row.user_id === v.id, parentWrite: c === 'write' || d === 'write', parentRead: !!(c || d) };
  }

  /** The write rules, in one table. `read` is the visibility rule; everything else needs sight first. */
  private allowed(v: Viewer, type: RecordType, s: Standing, action: Action): boolean {
    if (action === 'admin') return v.role === 'ADMIN';
    if (!s.exists) return false;
    const sees = s.owned || s.share !== null || s.author || s.parentRead;
    if (action === 'read') return sees;
    if (type === 'activity') return s.author || s.parentWrite || false;
    const writes = s.owned || s.share === 'WRITE';
    switch (action) {
      case 'update':
      case 'link':
        return writes;
      // A share lets you work on a contact, not give it away, delete it or fold it into another.
      case 'delete':
      case 'share':
      case 'reassign':
      case 'merge':
        return s.owned;
    }
  }

  /** 'write', 'read', or null when the record is invisible (or does not exist, which must look the same). */
  async access(em: Em, v: Viewer, ref: RecordRef): Promise<Access> {
    const s = await this.standing(em, v, ref);
    if (!this.allowed(v, ref.type, s, 'read')) return null;
    return this.allowed(v, ref.type, s, 'update') ? 'write' : 'read';
  }

  /** Tenant administration (users, pipelines, custom fields, settings). */
  isAdmin(v: Viewer): boolean {
    return this.allowed(v, 'deal', { exists: false, owned: false, share: null, author: false, parentRead: false, parentWrite: false }, 'admin');
  }

  async can(em: Em, v: Viewer, action: Action, ref: RecordRef): Promise<boolean> {
    if (action === 'admin') return this.isAdmin(v);
    return this.allowed(v, ref.type, await this.standing(em, v, ref), action);
  }

  async abilities(em: Em, v: Viewer, ref: RecordRef): Promise<Abilities> {
    return this.abilitiesOf(v, ref.type, await this.standing(em, v, ref));
  }

  private abilitiesOf(v: Viewer, type: RecordType, s: Standing): Abilities {
    return {
      update: this.allowed(v, type, s, 'update'),
      delete: this.allowed(v, type, s, 'delete'),
      share: type === 'contact' && this.allowed(v, type, s, 'share'),
      reassign: type !== 'activity' && this.allowed(v, type, s, 'reassign'),
      merge: (type === 'contact' || type === 'company') && this.allowed(v, type, s, 'merge'),
    };
  }

  /**
   * Abilities for a page of records the viewer already sees (lists), decided from the rows themselves:
   * one query for the viewer's shares on contacts instead of one per record.
   */
  async abilitiesFor(
    em: Em,
    v: Viewer,
    type: RecordType,
    recs: { id: string; ownerId?: string; userId?: string; contactId?: string | null; dealId?: string | null }[],
  ): Promise<Map<string, Abilities>> {
    const out = new Map<string, Abilities>();
    if (!recs.length) return out;
    const scope = await this.ownerScope(em, v);
    const inScope = (o?: string | null) => !!o && (scope === null || scope.includes(o));
    if (type === 'activity') {
      // A page of activities usually hangs off one or two parents: ask about each distinct parent once.
      const writable = new Map<string, boolean>();
      const parentWrites = async (kind: 'contact' | 'deal', id: string | null | undefined) => {
        if (!id) return false;
        const k = `${kind}:${id}`;
        if (!writable.has(k)) writable.set(k, (await this.access(em, v, { type: kind, id })) === 'write');
        return writable.get(k)!;
      };
      for (const r of recs) {
        const parentWrite = (await parentWrites('contact', r.contactId)) || (await parentWrites('deal', r.dealId));
        out.set(
          r.id,
          this.abilitiesOf(v, type, { exists: true, owned: false, share: null, author: r.userId === v.id, parentRead: true, parentWrite }),
        );
      }
      return out;
    }
    const shares = new Map<string, 'READ' | 'WRITE'>();
    if (type === 'contact' && scope !== null) {
      const rs = await rows<{ contact_id: string; permission: 'READ' | 'WRITE' }>(
        em,
        'select contact_id, permission from contact_shares where user_id = ? and contact_id = any(?::uuid[])',
        [v.id, pgArray(recs.map((r) => r.id))],
      );
      for (const r of rs) shares.set(r.contact_id, r.permission);
    }
    for (const r of recs) {
      out.set(
        r.id,
        this.abilitiesOf(v, type, {
          exists: true,
          owned: inScope(r.ownerId),
          share: shares.get(r.id) ?? null,
          author: false,
          parentRead: false,
          parentWrite: false,
        }),
      );
    }
    return out;
  }

  /** Whether records owned by `ownerId` are the viewer's by ownership (for a row the caller has already locked). */
  async ownerInScope(em: Em, v: Viewer, ownerId: string): Promise<boolean> {
    const scope = await this.ownerScope(em, v);
    return scope === null || scope.includes(ownerId);
  }

  /**
   * Whether the viewer may write to (and so link records onto) a contact, decided from facts the caller
   * already read under a lock: the contact's owner and the viewer's share on it.
   */
  async writesContact(em: Em, v: Viewer, contact: { ownerId: string; share: 'READ' | 'WRITE' | null }): Promise<boolean> {
    const owned = await this.ownerInScope(em, v, contact.ownerId);
    return this.allowed(v, 'contact', { exists: true, owned, share: contact.share, author: false, parentRead: false, parentWrite: false }, 'link');
  }

  /** Whether the viewer may make `ownerId` the owner of a record: a user within their own owner scope. */
  async canAssignOwner(em: Em, v: Viewer, ownerId: string): Promise<boolean> {
    const scope = await this.ownerScope(em, v);
    if (scope === null) return !!(await one(em, 'select 1 from users where id = ? and tenant_id = ?', [ownerId, v.tenantId]));
    return scope.includes(ownerId);
  }

  // Shorthands the services read best with.
  dealAccess(em: Em, v: Viewer, id: string) {
    return this.access(em, v, { type: 'deal', id });
  }
  companyAccess(em: Em, v: Viewer, id: string) {
    return this.access(em, v, { type: 'company', id });
  }
  contactAccess(em: Em, v: Viewer, id: string) {
    return this.access(em, v, { type: 'contact', id });
  }
  activityAccess(em: Em, v: Viewer, id: string) {
    return this.access(em, v, { type: 'activity', id });
  }

  // ---- audiences: the same rule read from the other side

  /**
   * Who may see a record: the tenant's admins, its owners, the MANAGER each owner reports to, users the
   * contacts are shared with, and named users (an activity's author).
   */
  async audience(em: Em, tenantId: string, spec: AudienceSpec): Promise<string[]> {
    // One record is the hot path (every write): the plain query plans faster than the batched unnest below.
    const r = await rows<{ id: string }>(
      em,
      `select u.id from users u where u.tenant_id = ? and (
         u.role = 'ADMIN' or u.id = any(?::uuid[]) or u.id = any(?::uuid[])
         or (u.role = 'MANAGER' and u.id in (select o.manager_id from users o where o.id = any(?::uuid[])))
         or u.id in (select cs.user_id from contact_shares cs where cs.contact_id = any(?::uuid[])))`,
      [tenantId, pgArray(clean(spec.owners)), pgArray(clean(spec.users)), pgArray(clean(spec.owners)), pgArray(clean(spec.contacts))],
    );
    return r.map((x) => x.id).sort();
  }

  /** Audiences of many records in one query (an import chunk, a merge, a page of events). */
  async audiences(em: Em, tenantId: string, specs: AudienceSpec[]): Promise<string[][]> {
    if (!specs.length) return [];
    const owners = specs.map((s) => pgArray(clean(s.owners)));
    const contacts = specs.map((s) => pgArray(clean(s.contacts)));
    const users = specs.map((s) => pgArray(clean(s.users)));
    const r = await rows<{ i: number; ids: string[] | string | null }>(
      em,
      `with spec as (select i::int, o::uuid[] as owners, c::uuid[] as contacts, u::uuid[] as users
          from unnest(?::text[], ?::text[], ?::text[]) with ordinality as t(o, c, u, i))
       select spec.i, (select coalesce(array_agg(x.id::text order by x.id), '{}') from users x where x.tenant_id = ? and (
           x.role = 'ADMIN' or x.id = any(spec.owners) or x.id = any(spec.users)
           or (x.role = 'MANAGER' and x.id in (select o.manager_id from users o where o.id = any(spec.owners)))
           or x.id in (select cs.user_id from contact_shares cs where cs.contact_id = any(spec.contacts)))) as ids
       from spec order by spec.i`,
      [pgArray(owners), pgArray(contacts), pgArray(users), tenantId],
    );
    const parse = (v: string[] | string | null): string[] =>
      Array.isArray(v)
        ? v.map(String)
        : typeof v === 'string'
          ? v
              .replace(/^\{|\}$/g, '')
              .split(',')
              .filter(Boolean)
          : [];
    return r.map((x) => parse(x.ids));
  }
}
