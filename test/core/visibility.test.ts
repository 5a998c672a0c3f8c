import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db.js';
import { startNode, type TestNode } from '../helpers/server.js';
import { createOrg, type Org } from '../helpers/api.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let node: TestNode;
let org: Org;
let other: Org;
// One contact, deal, company and activity owned by each user.
const rec: Record<string, { contact: string; deal: string; company: string; activity: string }> = {};
const who = ['admin', 'manager', 'rep1', 'rep2', 'solo'] as const;

beforeAll(async () => {
  db = await createTestDatabase();
  node = await startNode({ databaseUrl: db.url });
  org = await createOrg(node.url, 'vis');
  other = await createOrg(node.url, 'other');
  for (const w of who) {
    const api = org[w].api;
    const company = (await api.post('/companies', { name: `Co ${w}` })).body.id;
    const contact = (await api.post('/contacts', { firstName: w, lastName: 'Contact', companyId: company })).body.id;
    const deal = (await api.post('/deals', { name: `Deal ${w}`, contactId: contact, pipelineId: org.pipelineId, amount: '1000' })).body.id;
    const activity = (await api.post('/activities', { type: 'CALL', contactId: contact, subject: `call ${w}` })).body.id;
    rec[w] = { contact, deal, company, activity };
  }
});
afterAll(async () => {
  await node?.close();
  await db?.drop();
});

const expected: Record<string, string[]> = {
  admin: ['admin', 'manager', 'rep1', 'rep2', 'solo'],
  manager: ['manager', 'rep1', 'rep2'],
  rep1: ['rep1'],
  rep2: ['rep2'],
  solo: ['solo'],
};

describe('role-based visibility', () => {
  for (const viewer of who) {
    it(`${viewer} sees exactly ${expected[viewer].join(', ')} in every list and by id`, async () => {
      const api = org[viewer].api;
      const owners = (ids: string[]) => ids.map((id) => who.find((w) => org[w].id === id)).sort();
      const contacts = (await api.get('/contacts?limit=200')).body.items;
      expect(owners(contacts.map((c: any) => c.ownerId))).toEqual(expected[viewer]);
      const deals = (await api.get('/deals?limit=200')).body.items;
      expect(owners(deals.map((c: any) => c.ownerId))).toEqual(expected[viewer]);
      const companies = (await api.get('/companies?limit=200')).body.items;
      expect(owners(companies.map((c: any) => c.ownerId))).toEqual(expected[viewer]);
      const acts = (await api.get('/activities?limit=200')).body.items.filter((a: any) => a.type === 'CALL');
      expect(owners(acts.map((a: any) => a.userId))).toEqual(expected[viewer]);
      const board = (await api.get(`/pipelines/${org.pipelineId}/board`)).body;
      expect(owners(board.stages.flatMap((s: any) => s.deals.map((d: any) => d.ownerId)))).toEqual(expected[viewer]);
      for (const owner of who) {
        const visible = expected[viewer].includes(owner);
        const status = visible ? 200 : 404;
        expect((await api.get(`/contacts/${rec[owner].contact}`)).status).toBe(status);
        expect((await api.get(`/deals/${rec[owner].deal}`)).status).toBe(status);
        expect((await api.get(`/companies/${rec[owner].company}`)).status).toBe(status);
        expect((await api.get(`/activities/${rec[owner].activity}`)).status).toBe(status);
        expect((await api.get(`/contacts/${rec[owner].contact}/timeline`)).status).toBe(status);
        expect((await api.get(`/deals/${rec[owner].deal}/history`)).status).toBe(status);
        // Writes follow the same rule, and an invisible record answers 404, never 403.
        expect((await api.patch(`/deals/${rec[owner].deal}`, { name: `renamed by ${viewer}` })).status).toBe(status);
        expect((await api.post(`/deals/${rec[owner].deal}/move`, { stageId: org.stages[1].id })).status).toBe(status);
      }
    });
  }

  it('board totals only count visible deals', async () => {
    const board = (await org.rep1.api.get(`/pipelines/${org.pipelineId}/board`)).body;
    const total = board.stages.reduce((n: number, s: any) => n + s.count, 0);
    expect(total).toBe(1);
  });

  it('a manager gains and loses a rep’s records when the org changes', async () => {
    expect((await org.manager.api.get(`/deals/${rec.solo.deal}`)).status).toBe(404);
    expect((await org.admin.api.patch(`/users/${org.solo.id}`, { managerId: org.manager.id })).status).toBe(200);
    expect((await org.manager.api.get(`/deals/${rec.solo.deal}`)).status).toBe(200);
    expect((await org.admin.api.patch(`/users/${org.solo.id}`, { managerId: null })).status).toBe(200);
    expect((await org.manager.api.get(`/deals/${rec.solo.deal}`)).status).toBe(404);
  });

  it('a rep cannot assign a record to someone outside their scope', async () => {
    const r = await org.rep1.api.post('/contacts', { firstName: 'Gift', ownerId: org.rep2.id });
    expect(r.status).toBe(400);
    const m = await org.manager.api.post('/contacts', { firstName: 'Assigned', ownerId: org.rep2.id });
    expect(m.status).toBe(201);
    expect((await org.rep2.api.get(`/contacts/${m.body.id}`)).status).toBe(200);
  });

  it('a rep cannot link a contact to a company they cannot see; an existing link survives their edits', async () => {
    const c = rec.rep1.contact;
    const r = await org.rep1.api.patch(`/contacts/${c}`, { companyId: rec.rep2.company, jobTitle: 'Moved' });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('INVALID_REFERENCE');
    expect((await org.rep1.api.post('/contacts', { firstName: 'x', companyId: rec.rep2.company })).status).toBe(422);
    expect((await org.rep1.api.get(`/contacts/${c}`)).body).toMatchObject({ companyId: rec.rep1.company, jobTitle: null });
    // The manager sees both reps' companies and may link across them; rep1 then keeps that link when saving.
    expect((await org.manager.api.patch(`/contacts/${c}`, { companyId: rec.rep2.company })).status).toBe(200);
    expect((await org.rep1.api.patch(`/contacts/${c}`, { companyId: rec.rep2.company, lastName: 'Contact' })).status).toBe(200);
    expect((await org.rep1.api.patch(`/contacts/${c}`, { companyId: rec.rep1.company })).body.companyId).toBe(rec.rep1.company);
  });
});

describe('contact shares', () => {
  it('READ share: the contact and its activities become visible, but not editable', async () => {
    const c = rec.rep1.contact;
    expect((await org.rep1.api.post(`/contacts/${c}/shares`, { userId: org.solo.id, permission: 'READ' })).status).toBe(201);
    const got = await org.solo.api.get(`/contacts/${c}`);
    expect(got.status).toBe(200);
    expect(got.body.access).toBe('read');
    expect((await org.solo.api.get('/contacts?limit=200')).body.items.map((x: any) => x.id)).toContain(c);
    expect((await org.solo.api.get(`/activities/${rec.rep1.activity}`)).status).toBe(200);
    const tl = await org.solo.api.get(`/contacts/${c}/timeline`);
    expect(tl.body.items.map((a: any) => a.id)).toContain(rec.rep1.activity);
    const edit = await org.solo.api.patch(`/contacts/${c}`, { jobTitle: 'hacked' });
    expect(edit.status).toBe(403);
    expect((await org.solo.api.post('/activities', { type: 'NOTE', contactId: c, body: 'x' })).status).toBe(403);
    expect((await org.solo.api.get(`/contacts/${c}`)).body.jobTitle).toBe(null);
    // The deal on that contact is not shared.
    expect((await org.solo.api.get(`/deals/${rec.rep1.deal}`)).status).toBe(404);
  });

  it('WRITE share allows edits but not re-sharing or reassignment', async () => {
    const c = rec.rep1.contact;
    expect((await org.rep1.api.post(`/contacts/${c}/shares`, { userId: org.solo.id, permission: 'WRITE' })).status).toBe(201);
    const edit = await org.solo.api.patch(`/contacts/${c}`, { jobTitle: 'CTO' });
    expect(edit.status).toBe(200);
    expect(edit.body.jobTitle).toBe('CTO');
    expect((await org.solo.api.post(`/contacts/${c}/shares`, { userId: org.rep2.id, permission: 'READ' })).status).toBe(403);
    expect((await org.solo.api.patch(`/contacts/${c}`, { ownerId: org.solo.id })).status).toBe(403);
    expect((await org.solo.api.get(`/contacts/${c}/shares`)).body).toEqual([expect.objectContaining({ userId: org.solo.id, permission: 'WRITE' })]);
  });

  it('removing the share hides the contact again', async () => {
    const c = rec.rep1.contact;
    expect((await org.rep1.api.del(`/contacts/${c}/shares/${org.solo.id}`)).status).toBe(204);
    expect((await org.solo.api.get(`/contacts/${c}`)).status).toBe(404);
    expect((await org.solo.api.get('/contacts?limit=200')).body.items.map((x: any) => x.id)).not.toContain(c);
    expect((await org.rep1.api.del(`/contacts/${c}/shares/${org.solo.id}`)).status).toBe(404);
  });

  it('an activity stays visible to its author even without access to its contact', async () => {
    const c = rec.rep1.contact;
    await org.rep1.api.post(`/contacts/${c}/shares`, { userId: org.solo.id, permission: 'WRITE' });
    const a = await org.solo.api.post('/activities', { type: 'CALL', contactId: c, subject: 'solo called' });
    expect(a.status).toBe(201);
    await org.rep1.api.del(`/contacts/${c}/shares/${org.solo.id}`);
    expect((await org.solo.api.get(`/activities/${a.body.id}`)).status).toBe(200);
    expect((await org.solo.api.get(`/contacts/${c}/timeline`)).status).toBe(404);
  });
});

describe('tenant isolation', () => {
  it('another tenant’s admin sees nothing of this tenant, by list or by id', async () => {
    const api = other.admin.api;
    for (const w of who) {
      expect((await api.get(`/contacts/${rec[w].contact}`)).status).toBe(404);
      expect((await api.get(`/deals/${rec[w].deal}`)).status).toBe(404);
      expect((await api.get(`/companies/${rec[w].company}`)).status).toBe(404);
      expect((await api.get(`/activities/${rec[w].activity}`)).status).toBe(404);
      expect((await api.patch(`/contacts/${rec[w].contact}`, { firstName: 'x' })).status).toBe(404);
      expect((await api.del(`/deals/${rec[w].deal}`)).status).toBe(404);
    }
    expect((await api.get('/contacts?limit=200')).body.items).toEqual([]);
    expect((await api.get(`/pipelines/${org.pipelineId}/board`)).status).toBe(404);
    expect((await api.get(`/users/${org.rep1.id}`)).status).toBe(404);
    expect((await api.get('/users')).body.map((u: any) => u.id)).not.toContain(org.rep1.id);
  });

  it('cross-tenant references are refused', async () => {
    const api = other.admin.api;
    const deal = (await api.post('/deals', { name: 'Mine', pipelineId: other.pipelineId })).body;
    const move = await api.post(`/deals/${deal.id}/move`, { stageId: org.stages[2].id });
    expect(move.status).toBe(422);
    expect(move.body.error.code).toBe('INVALID_STAGE');
    expect((await api.post('/deals', { name: 'x', pipelineId: org.pipelineId })).status).toBe(422);
    expect((await api.post('/deals', { name: 'x', pipelineId: other.pipelineId, contactId: rec.admin.contact })).status).toBe(422);
    expect((await api.post('/contacts', { firstName: 'x', companyId: rec.admin.company })).status).toBe(422);
    expect((await api.post('/contacts', { firstName: 'x', ownerId: org.rep1.id })).status).toBe(400);
    const c = (await api.post('/contacts', { firstName: 'Theirs' })).body.id;
    expect((await api.post(`/contacts/${c}/shares`, { userId: org.rep1.id, permission: 'READ' })).status).toBe(422);
    expect((await api.post('/activities', { type: 'CALL', contactId: rec.admin.contact })).status).toBe(422);
  });
});
