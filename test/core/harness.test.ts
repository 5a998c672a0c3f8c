import { describe, expect, it } from 'vitest';
import { useNodeWithOrg } from '../helpers/server.js';

const ctx = useNodeWithOrg('org');

describe('harness', () => {
  it('starts a node on a fresh database and builds an org', async () => {
    const h = await ctx.org.api.get('/health');
    expect(h.status).toBe(200);
    expect(h.body.database).toBe('ok');
    const users = await ctx.org.admin.api.get('/users');
    expect(users.body.map((u: any) => u.role).sort()).toEqual(['ADMIN', 'MANAGER', 'REP', 'REP', 'REP']);
  });
});
