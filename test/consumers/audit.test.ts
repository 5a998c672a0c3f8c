import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db.js';
import { createOrg, type Org } from '../helpers/api.js';
import { startNode, type TestNode } from '../helpers/server.js';
import { until } from '../notes/helpers.js';
import { consumersExtension } from '../../server/consumers/consumers.extension.js';
import { auditConsumer } from '../../server/consumers/audit.consumer.js';
import { rows } from '../../server/db/sql.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let node: TestNode;
let org: Org;
let other: Org;

beforeAll(async () => {
  db = await createTestDatabase();
  node = await startNode({ databaseUrl: db.url, extensions: () => [consumersExtension({ consumers: [auditConsumer()], pollMs: 200 })] });
  org = await createOrg(node.url, 'audit');
  other = await createOrg(node.url, 'audit-other');
});
afterAll(async () => {
  await node?.close();
  await db?.drop();
});

/** Waits until the audit consumer has passed every event of the admin's tenant. */
async function settled(o: Org) {
  await until(async () => {
    const [r] = await rows(
      node.pulse.wp.read(),
      `select t.event_seq = c.last_seq as done from users u join tenants t on t.id = u.tenant_id
        join consumer_cursors c on c.tenant_id = t.id and c.consumer = 'audit' where u.id = ?`,
      [o.admin.id],
    );
    return !!r?.done;
  }, 'the audit consumer to catch up');
}

describe('GET /api/audit', () => {
  it('records a deal patch field by field: changed, before, after, actor and request id', async () => {
    const d = (await org.rep1.api.post('/deals', { name: 'Audit me', pipelineId: org.pipelineId, amount: '100.00' })).body;
    const p = await org.rep1.api.req(
      'PATCH',
      `/deals/${d.id}`,
      { name: 'Audited', amount: '250.00', version: d.version },
      { 'x-request-id': 'req-audit-1' },
    );
    expect(p.status).toBe(200);
    await settled(org);
    const r = await org.admin.api.get(`/audit?entityType=deal&entityId=${d.id}`);
    expect(r.status).toBe(200);
    expect(r.body.items.map((e: any) => e.type)).toEqual(['deal.updated', 'deal.created']);
    const [upd, created] = r.body.items;
    expect(upd.changed.sort()).toEqual(['amount', 'name']);
    expect(upd.before).toEqual({ name: 'Audit me', amount: '100.00' });
    expect(upd.after).toEqual({ name: 'Audited', amount: '250.00' });
    expect(upd.actor).toEqual({ kind: 'user', id: org.rep1.id, name: 'rep1' });
    expect(upd.requestId).toBe('req-audit-1');
    expect(upd.seq).toBeGreaterThan(created.seq);
    expect(created).toMatchObject({ changed: null, before: null, after: { id: d.id, name: 'Audit me' } });
    const del = await org.rep1.api.del(`/deals/${d.id}`);
    expect(del.status).toBe(204);
    await settled(org);
    const [gone] = (await org.admin.api.get(`/audit?entityId=${d.id}&limit=1`)).body.items;
    expect(gone).toMatchObject({ type: 'deal.deleted', after: null, before: { id: d.id } });
  });

  it("is for admins only, and only ever shows the caller's tenant", async () => {
    for (const u of [org.rep1, org.manager]) {
      const r = await u.api.get('/audit');
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('FORBIDDEN');
    }
    await other.rep1.api.post('/contacts', { firstName: 'Elsewhere' });
    await settled(other);
    const mine = (await org.admin.api.get('/audit?limit=200')).body.items;
    expect(mine.some((e: any) => e.after?.firstName === 'Elsewhere')).toBe(false);
    expect((await other.admin.api.get('/audit?entityType=contact')).body.items.map((e: any) => e.after.firstName)).toEqual(['Elsewhere']);
    expect((await org.admin.api.get('/audit?entityId=nope')).status).toBe(400);
    expect((await org.admin.api.get('/audit?limit=0')).status).toBe(400);
  });

  it('pages by seq, newest first, with no gaps or repeats', async () => {
    const c = (await org.rep1.api.post('/contacts', { firstName: 'Pager' })).body;
    for (let i = 0; i < 6; i++) expect((await org.rep1.api.patch(`/contacts/${c.id}`, { jobTitle: `Title ${i}` })).status).toBe(200);
    await settled(org);
    const seen: any[] = [];
    let cursor: string | null = null;
    do {
      const r: any = await org.admin.api.get(`/audit?entityType=contact&entityId=${c.id}&limit=3${cursor ? `&before=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      expect(r.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...r.body.items);
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(7);
    const seqs = seen.map((e) => e.seq);
    expect([...seqs].sort((a, b) => b - a)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(7);
    expect(seen[0]).toMatchObject({
      type: 'contact.updated',
      changed: ['jobTitle'],
      before: { jobTitle: 'Title 4' },
      after: { jobTitle: 'Title 5' },
    });
  });
});
