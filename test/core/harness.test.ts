import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db.js';
import { startNode, type TestNode } from '../helpers/server.js';
import { createOrg, type Org } from '../helpers/api.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let node: TestNode;
let org: Org;

beforeAll(async () => {
  db = await createTestDatabase();
  node = await startNode({ databaseUrl: db.url });
  org = await createOrg(node.url);
});
afterAll(async () => { await node?.close(); await db?.drop(); });

describe('harness', () => {
  it('starts a node on a fresh database and builds an org', async () => {
    const h = await org.api.get('/health');
    expect(h.status).toBe(200);
    expect(h.body.database).toBe('ok');
    const users = await org.admin.api.get('/users');
    expect(users.body.map((u: any) => u.role).sort()).toEqual(['ADMIN', 'MANAGER', 'REP', 'REP', 'REP']);
  });
});
