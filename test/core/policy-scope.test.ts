import { describe, expect, it } from 'vitest';
import { scopeSearchFilter, scopeSql, type Scope } from '../../server/policy/scope.js';

const T = '11111111-1111-4111-8111-111111111111';
const ME = '22222222-2222-4222-8222-222222222222';
const REPORT = '33333333-3333-4333-8333-333333333333';
const admin: Scope = { tenantId: T, all: true, owners: [], userId: ME };
const manager: Scope = { tenantId: T, all: false, owners: [ME, REPORT], userId: ME };
const rep: Scope = { tenantId: T, all: false, owners: [ME], userId: ME };

describe('the policy scope compiles to SQL and to a Typesense filter', () => {
  it('pins the tenant everywhere, and for an admin nothing else', () => {
    for (const e of ['deal', 'contact', 'company', 'activity'] as const) {
      expect(scopeSql(admin, e, 'x')).toEqual({ sql: '(x.tenant_id = ?)', params: [T] });
      expect(scopeSearchFilter(admin, e)).toBe(`tenant_id:=[\`${T}\`]`);
    }
  });

  it('owners for deals and companies; owners or a share for contacts; parent owners, author or share for activities', () => {
    expect(scopeSearchFilter(manager, 'deal')).toBe(`tenant_id:=[\`${T}\`] && owner_id:=[\`${ME}\`,\`${REPORT}\`]`);
    expect(scopeSearchFilter(rep, 'contact')).toBe(`tenant_id:=[\`${T}\`] && (owner_id:=[\`${ME}\`] || shared_with:=[\`${ME}\`])`);
    expect(scopeSearchFilter(rep, 'activity')).toBe(
      `tenant_id:=[\`${T}\`] && (parent_owner_ids:=[\`${ME}\`] || user_id:=[\`${ME}\`] || shared_with:=[\`${ME}\`])`,
    );
    const d = scopeSql(manager, 'deal', 'd');
    expect(d.sql).toBe('(d.tenant_id = ? and d.owner_id = any(?::uuid[]))');
    expect(d.params).toEqual([T, `{"${ME}","${REPORT}"}`]);
    const c = scopeSql(rep, 'contact', 'c');
    expect(c.sql).toContain('c.owner_id = ?');
    expect(c.sql).toContain('cs.contact_id = c.id and cs.user_id = ?');
    expect(c.params).toEqual([T, ME, ME]);
  });

  it('a value can never break out of the search filter (backquotes are dropped)', () => {
    const evil: Scope = { tenantId: T, all: false, owners: ['x` || tenant_id:!=[`y'], userId: null };
    expect(scopeSearchFilter(evil, 'deal')).toBe(`tenant_id:=[\`${T}\`] && owner_id:=[\`x || tenant_id:!=[y\`]`);
  });
});
