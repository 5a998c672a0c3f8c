/**
 * A viewer's scope: what they see, in a form that does not depend on where it is applied. The policy
 * builds one per request; `scopeSql` turns it into a PostgreSQL condition and `scopeSearchFilter` into
 * a Typesense `filter_by`, so REST lists, reports and search hits are filtered by the same rule.
 *
 *   ADMIN   the whole tenant                                  { all: true }
 *   MANAGER records owned by themself or a direct report      { owners: [self, ...reports], sharedWith: self }
 *   REP     records they own                                  { owners: [self], sharedWith: self }
 *   Contacts shared with the viewer (READ or WRITE) are added through `sharedWith`; activities are seen
 *   through their contact, their deal, or as their author.
 */
import { pgArray } from '../db/sql.js';

export interface Scope {
  tenantId: string;
  /** The whole tenant (ADMIN, or a system job). */
  all: boolean;
  /** Owners whose records are in sight by ownership (empty when `all`). */
  owners: string[];
  /** The user whose contact shares add to the scope, and who sees activities they wrote. */
  userId: string | null;
}

export type ScopedEntity = 'deal' | 'contact' | 'company' | 'activity';

/** A SQL boolean expression plus its `?` parameters. */
export interface Filter {
  sql: string;
  params: unknown[];
}

function ownerIn(scope: Scope, col: string): Filter {
  if (scope.owners.length === 1) return { sql: `${col} = ?`, params: [scope.owners[0]] };
  return { sql: `${col} = any(?::uuid[])`, params: [pgArray(scope.owners)] };
}

/** The scope as a condition on the table aliased `a` (which must be the entity's table); it always pins the tenant. */
export function scopeSql(scope: Scope, entity: ScopedEntity, a: string): Filter {
  const tenant = { sql: `${a}.tenant_id = ?`, params: [scope.tenantId] as unknown[] };
  if (scope.all) return { sql: `(${tenant.sql})`, params: tenant.params };
  const own = ownerIn(scope, `${a}.owner_id`);
  if (entity === 'deal' || entity === 'company') return { sql: `(${tenant.sql} and ${own.sql})`, params: [...tenant.params, ...own.params] };
  const shared = `exists (select 1 from contact_shares cs where cs.contact_id = %ID% and cs.user_id = ?)`;
  if (entity === 'contact') {
    return {
      sql: `(${tenant.sql} and (${own.sql} or ${shared.replace('%ID%', `${a}.id`)}))`,
      params: [...tenant.params, ...own.params, scope.userId],
    };
  }
  const c = ownerIn(scope, 'vc.owner_id');
  const d = ownerIn(scope, 'vd.owner_id');
  return {
    sql: `(${tenant.sql} and (${a}.user_id = ?
      or exists (select 1 from contacts vc where vc.id = ${a}.contact_id and (${c.sql} or ${shared.replace('%ID%', 'vc.id')}))
      or exists (select 1 from deals vd where vd.id = ${a}.deal_id and ${d.sql})))`,
    params: [...tenant.params, scope.userId, ...c.params, scope.userId, ...d.params],
  };
}

/** Typesense filter values are backquoted so ids can never break out of the expression. */
const list = (ids: string[]) => `[${ids.map((x) => '`' + x.replace(/`/g, '') + '`').join(',')}]`;

/**
 * The scope as a Typesense `filter_by`. Documents carry `tenant_id`, `owner_id` and `shared_with`
 * (user ids holding a share); activity documents also carry `user_id` and `parent_owner_ids` (the owners
 * of their contact and deal) with `shared_with` taken from their contact. The search layer still checks
 * each hit against `Policy.access` at query time, since the index may lag a share or a reassignment.
 */
export function scopeSearchFilter(scope: Scope, entity: ScopedEntity): string {
  const tenant = `tenant_id:=${list([scope.tenantId])}`;
  if (scope.all) return tenant;
  const me = scope.userId ? [scope.userId] : [];
  if (entity === 'deal' || entity === 'company') return `${tenant} && owner_id:=${list(scope.owners)}`;
  if (entity === 'contact') return `${tenant} && (owner_id:=${list(scope.owners)}${me.length ? ` || shared_with:=${list(me)}` : ''})`;
  return `${tenant} && (parent_owner_ids:=${list(scope.owners)}${me.length ? ` || user_id:=${list(me)} || shared_with:=${list(me)}` : ''})`;
}
