import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db.js';
import { startNode, type TestNode } from '../helpers/server.js';
import { createOrg, type Org } from '../helpers/api.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let node: TestNode;
let org: Org;

async function counts() {
  const em = node.pulse.wp.read();
  const r: any[] = await em.execute(`select (select count(*) from contacts)::int as contacts, (select count(*) from deals)::int as deals,
    (select count(*) from activities)::int as activities, (select count(*) from outbox_events)::int as events, (select count(*) from companies)::int as companies`);
  return r[0];
}

beforeAll(async () => {
  db = await createTestDatabase();
  node = await startNode({ databaseUrl: db.url });
  org = await createOrg(node.url);
  await org.admin.api.post('/custom-fields', { entityType: 'CONTACT', fieldName: 'lead_score', fieldType: 'NUMBER' });
});
afterAll(async () => {
  await node?.close();
  await db?.drop();
});

describe('bad input answers 4xx with the stable error shape and writes nothing', () => {
  const cases: [string, string, string, unknown, number, string?][] = [
    ['malformed JSON', 'POST', '/contacts', '{"firstName": "Ann",', 400, 'VALIDATION_FAILED'],
    ['wrong type', 'POST', '/contacts', { firstName: 42 }, 400, 'VALIDATION_FAILED'],
    ['missing required field', 'POST', '/deals', { name: 'No pipeline' }, 400, 'VALIDATION_FAILED'],
    ['unknown property', 'POST', '/contacts', { firstName: 'A', isAdmin: true }, 400, 'VALIDATION_FAILED'],
    ['invalid email', 'POST', '/contacts', { firstName: 'A', email: 'not-an-email' }, 400, 'VALIDATION_FAILED'],
    [
      'float money with 3 decimals',
      'POST',
      '/deals',
      { name: 'x', pipelineId: '00000000-0000-4000-8000-000000000000', amount: '1.234' },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'bad currency',
      'POST',
      '/deals',
      { name: 'x', pipelineId: '00000000-0000-4000-8000-000000000000', currency: 'dollars' },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'unknown currency code',
      'POST',
      '/deals',
      { name: 'x', pipelineId: '00000000-0000-4000-8000-000000000000', currency: 'XYZ' },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'invalid date',
      'POST',
      '/deals',
      { name: 'x', pipelineId: '00000000-0000-4000-8000-000000000000', closeDate: '2026-02-30' },
      400,
      'VALIDATION_FAILED',
    ],
    ['unknown custom field', 'POST', '/contacts', { firstName: 'A', customData: { nope: 1 } }, 400, 'VALIDATION_FAILED'],
    ['custom field of the wrong type', 'POST', '/contacts', { firstName: 'A', customData: { lead_score: 'high' } }, 400, 'VALIDATION_FAILED'],
    ['activity without a parent', 'POST', '/activities', { type: 'CALL', subject: 'x' }, 400, 'VALIDATION_FAILED'],
    [
      'activity of an unknown type',
      'POST',
      '/activities',
      { type: 'FAX', contactId: '00000000-0000-4000-8000-000000000000' },
      400,
      'VALIDATION_FAILED',
    ],
    ['limit above 200', 'GET', '/contacts?limit=500', undefined, 400, 'VALIDATION_FAILED'],
    ['garbage cursor', 'GET', '/contacts?cursor=abc', undefined, 400, 'VALIDATION_FAILED'],
    ['non-uuid id in the path', 'GET', '/deals/123', undefined, 404, 'NOT_FOUND'],
    ['unknown route', 'GET', '/nope', undefined, 404, 'NOT_FOUND'],
    ['move without a stage', 'POST', '/deals/00000000-0000-4000-8000-000000000000/move', {}, 400, 'VALIDATION_FAILED'],
  ];
  for (const [name, method, path, body, status, code] of cases) {
    it(name, async () => {
      const before = await counts();
      const r = await org.rep1.api.req(method, path, body);
      expect(r.status).toBe(status);
      expect(Object.keys(r.body)).toEqual(['error']);
      expect(Object.keys(r.body.error).sort()).toEqual(['code', 'details', 'message']);
      expect(r.body.error.code).toBe(code);
      expect(typeof r.body.error.message).toBe('string');
      expect(await counts()).toEqual(before);
    });
  }

  it('oversized bodies get 413', async () => {
    const before = await counts();
    const r = await org.rep1.api.post('/contacts', { firstName: 'A', jobTitle: 'x'.repeat(300_000) });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await counts()).toEqual(before);
  });

  it('validation details name the offending field', async () => {
    const r = await org.rep1.api.post('/contacts', { firstName: 'A', customData: { lead_score: 'high', nope: 1 } });
    expect(r.body.error.details.map((d: any) => d.path).sort()).toEqual(['customData.lead_score', 'customData.nope']);
  });

  it('a failed write inside a transaction rolls back every statement, events included', async () => {
    const c = await org.rep1.api.post('/contacts', { firstName: 'Dup', email: 'dup@x.test' });
    expect(c.status).toBe(201);
    const before = await counts();
    const again = await org.rep1.api.post('/contacts', { firstName: 'Dup2', email: 'DUP@x.test' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('DUPLICATE_EMAIL');
    expect(await counts()).toEqual(before);
  });
});
