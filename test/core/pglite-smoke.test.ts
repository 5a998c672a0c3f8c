import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type TestNode } from '../helpers/server.js';
import { createOrg, type Org } from '../helpers/api.js';
import { seedDemo } from '../../server/db/seed-demo.js';
import { rows } from '../../server/db/sql.js';
import { statementCount } from '../../server/db/pglite-statements.js';

// The embedded default: the same API on PGlite (PostgreSQL compiled to WASM), persisted in a folder.
let dir: string;
let node: TestNode;
let org: Org;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-pglite-'));
  node = await startNode({ databaseUrl: null, dataDir: dir });
  org = await createOrg(node.url, 'lite');
}, 180_000);
afterAll(async () => {
  await node?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('embedded PGlite', () => {
  it('runs the core flows: contacts, deals, moves, board, timeline, inbox, custom fields, visibility', async () => {
    expect(
      (await org.admin.api.post('/custom-fields', { entityType: 'CONTACT', fieldName: 'score', fieldType: 'NUMBER', indexed: true })).status,
    ).toBe(201);
    const c = await org.rep1.api.post('/contacts', { firstName: 'Lite', email: 'lite@x.test', tags: ['a'], customData: { score: 5 } });
    expect(c.status).toBe(201);
    expect((await org.rep1.api.post('/contacts', { firstName: 'Dup', email: 'LITE@x.test' })).status).toBe(409);
    const d = (
      await org.rep1.api.post('/deals', {
        name: 'Lite deal',
        contactId: c.body.id,
        pipelineId: org.pipelineId,
        amount: '10.50',
        closeDate: '2027-03-01',
      })
    ).body;
    expect(d).toMatchObject({ amount: '10.50', closeDate: '2027-03-01' });
    const m = await org.rep1.api.post(`/deals/${d.id}/move`, { stageId: org.stages[4].id, version: 1 });
    expect(m.body).toMatchObject({ status: 'WON', version: 2 });
    expect((await org.rep1.api.post(`/deals/${d.id}/move`, { stageId: org.stages[1].id, version: 1 })).status).toBe(409);
    const board = (await org.rep1.api.get(`/pipelines/${org.pipelineId}/board`)).body;
    expect(board.stages.map((s: any) => s.count)).toEqual([0, 0, 0, 0, 0, 0]);
    await org.rep1.api.post('/activities', {
      type: 'TASK',
      contactId: c.body.id,
      subject: 'late',
      scheduledAt: new Date(Date.now() - 1000).toISOString(),
    });
    expect((await org.rep1.api.get('/inbox')).body.overdue).toHaveLength(1);
    const p1 = (await org.rep1.api.get(`/contacts/${c.body.id}/timeline?limit=1`)).body;
    const p2 = (await org.rep1.api.get(`/contacts/${c.body.id}/timeline?limit=1&cursor=${p1.nextCursor}`)).body;
    expect(p2.items[0].id).not.toBe(p1.items[0].id);
    expect((await org.rep1.api.get('/contacts?cf.score=5')).body.items).toHaveLength(1);
    expect((await org.rep2.api.get(`/contacts/${c.body.id}`)).status).toBe(404);
    expect((await org.manager.api.get(`/contacts/${c.body.id}`)).status).toBe(200);
  });

  it('stores text holding semicolons and quotes as one statement (the dialect used to run it as several)', async () => {
    const c = await org.rep1.api.post('/contacts', { firstName: 'Semi', lastName: "O'Brien; Jr", jobTitle: 'VP; Sales' });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ lastName: "O'Brien; Jr", jobTitle: 'VP; Sales' });
    const a = await org.rep1.api.post('/activities', {
      type: 'NOTE',
      contactId: c.body.id,
      subject: 'Call back; send the quote',
      body: "it's done; -- not a comment",
    });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ subject: 'Call back; send the quote', body: "it's done; -- not a comment" });
    const p = await org.rep1.api.patch(`/activities/${a.body.id}`, { subject: 'Called; quote sent' });
    expect(p.status).toBe(200);
    expect((await org.rep1.api.get(`/activities/${a.body.id}`)).body.subject).toBe('Called; quote sent');
    expect((await org.rep1.api.patch(`/contacts/${c.body.id}`, { jobTitle: 'CTO; interim' })).body.jobTitle).toBe('CTO; interim');
  });

  it('seeds the demo tenant (the first run of `npm start`)', async () => {
    const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-pglite-seed-'));
    const demo = await startNode({ databaseUrl: null, dataDir: fresh });
    try {
      expect(await seedDemo(demo.pulse)).toBe(true);
      expect(await seedDemo(demo.pulse)).toBe(false);
      const [n] = await rows(
        demo.pulse.wp.read(),
        "select (select count(*)::int from contacts c join users u on u.id = c.owner_id where u.email = 'ravi@demo.pulse') as contacts, (select count(*)::int from activities) as activities",
      );
      expect(n.contacts).toBeGreaterThan(0);
      expect(n.activities).toBeGreaterThan(300);
    } finally {
      await demo.close();
      fs.rmSync(fresh, { recursive: true, force: true });
    }
  }, 180_000);

  it('counts statements outside literals, identifiers and comments', () => {
    expect(statementCount("insert into t values ('a; b')")).toBe(1);
    expect(statementCount("select 'it''s; fine', \"odd;name\" from t -- trailing; comment")).toBe(1);
    expect(statementCount("select E'x\\'; y' /* a; b */")).toBe(1);
    expect(statementCount('create table a (x int); create table b (y int);')).toBe(2);
    expect(statementCount('create function f() returns int as $$ begin return 1; end; $$ language plpgsql; select 1')).toBe(2);
  });
});
