import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db.js';
import { startNode, type TestNode } from '../helpers/server.js';
import { createOrg, type Org } from '../helpers/api.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let node: TestNode;
let org: Org;
let contactId: string;
let dealId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  node = await startNode({ databaseUrl: db.url });
  org = await createOrg(node.url, 'tl');
  contactId = (await org.rep1.api.post('/contacts', { firstName: 'Timeline' })).body.id;
  dealId = (await org.rep1.api.post('/deals', { name: 'TL deal', contactId, pipelineId: org.pipelineId })).body.id;
  for (let i = 0; i < 12; i++) {
    expect(
      (await org.rep1.api.post('/activities', { type: i % 3 === 0 ? 'EMAIL' : 'CALL', contactId, dealId: i % 2 ? dealId : null, subject: `a${i}` }))
        .status,
    ).toBe(201);
  }
  // Many activities sharing one timestamp: the case OFFSET-free paging on created_at alone gets wrong.
  const em = node.pulse.wp.read();
  await em.execute(`update activities set created_at = '2026-01-01T00:00:00Z' where subject in ('a2','a3','a4','a5','a6','a7','a8')`);
});
afterAll(async () => {
  await node?.close();
  await db?.drop();
});

async function all(path: string, limit: number, start: string | null = null) {
  const seen: any[] = [];
  let cursor: string | null = start;
  let pages = 0;
  do {
    const r: any = await org.rep1.api.get(`${path}${path.includes('?') ? '&' : '?'}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(r.status).toBe(200);
    seen.push(...r.body.items);
    cursor = r.body.nextCursor;
    pages++;
  } while (cursor && pages < 100);
  return { seen, pages };
}

describe('timeline', () => {
  for (const limit of [1, 2, 3, 5, 50]) {
    it(`pages of ${limit}: every activity exactly once, newest first, ties broken by id`, async () => {
      const { seen } = await all(`/contacts/${contactId}/timeline`, limit);
      expect(seen).toHaveLength(12);
      expect(new Set(seen.map((a) => a.id)).size).toBe(12);
      for (let i = 1; i < seen.length; i++) {
        const [p, c] = [seen[i - 1], seen[i]];
        expect(p.createdAt > c.createdAt || (p.createdAt === c.createdAt && p.id > c.id)).toBe(true);
      }
    });
  }

  it('filters by type', async () => {
    const { seen } = await all(`/contacts/${contactId}/timeline?type=EMAIL`, 2);
    expect(seen.map((a) => a.subject).sort()).toEqual(['a0', 'a3', 'a6', 'a9']);
  });

  it('the deal timeline pages the same way', async () => {
    const { seen } = await all(`/deals/${dealId}/timeline`, 2);
    expect(seen.map((a) => a.subject).sort()).toEqual(['a1', 'a11', 'a3', 'a5', 'a7', 'a9']);
  });

  it('a new activity does not shift later pages (no duplicates or gaps)', async () => {
    const first = (await org.rep1.api.get(`/contacts/${contactId}/timeline?limit=4`)).body;
    await org.rep1.api.post('/activities', { type: 'NOTE', contactId, body: 'late' });
    const rest = await all(`/contacts/${contactId}/timeline`, 4, first.nextCursor);
    const ids = [...first.items, ...rest.seen].map((a: any) => a.id);
    expect(ids).toHaveLength(12);
    expect(new Set(ids).size).toBe(12);
  });
});

describe('inbox', () => {
  it('lists my open tasks: overdue and upcoming, ascending by due time', async () => {
    const h = 3600_000;
    const at = (ms: number) => new Date(Date.now() + ms).toISOString();
    const mk = (subject: string, scheduledAt: string | null, api = org.rep2.api) =>
      api.post('/activities', { type: 'TASK', contactId: c2, subject, scheduledAt });
    const c2 = (await org.rep2.api.post('/contacts', { firstName: 'Inbox' })).body.id;
    await mk('late 2', at(-2 * h));
    await mk('late 1', at(-1 * h));
    await mk('late 3', at(-3 * h));
    await mk('soon', at(h));
    await mk('later', at(5 * h));
    await mk('no date', null);
    const done = (await mk('done', at(-h))).body;
    await org.rep2.api.patch(`/activities/${done.id}`, { completed: true });
    await org.rep2.api.post('/activities', { type: 'CALL', contactId: c2, subject: 'not a task', scheduledAt: at(-h) });
    const box = (await org.rep2.api.get('/inbox')).body;
    expect(box.overdue.map((t: any) => t.subject)).toEqual(['late 3', 'late 2', 'late 1']);
    expect(box.upcoming.map((t: any) => t.subject)).toEqual(['soon', 'later', 'no date']);
    // Someone else's tasks never show, not even for their manager.
    expect((await org.manager.api.get('/inbox')).body).toEqual({ overdue: [], upcoming: [] });
  });

  it('completing and rescheduling move tasks between the lists', async () => {
    const c = (await org.solo.api.post('/contacts', { firstName: 'S' })).body.id;
    const t = (
      await org.solo.api.post('/activities', { type: 'TASK', contactId: c, subject: 't', scheduledAt: new Date(Date.now() - 60_000).toISOString() })
    ).body;
    expect((await org.solo.api.get('/inbox')).body.overdue.map((x: any) => x.id)).toEqual([t.id]);
    await org.solo.api.patch(`/activities/${t.id}`, { scheduledAt: new Date(Date.now() + 86400_000).toISOString() });
    expect((await org.solo.api.get('/inbox')).body.upcoming.map((x: any) => x.id)).toEqual([t.id]);
    await org.solo.api.patch(`/activities/${t.id}`, { completed: true });
    expect((await org.solo.api.get('/inbox')).body).toEqual({ overdue: [], upcoming: [] });
  });
});
