import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeWithOrg } from '../helpers/server.js';

const ctx = useNodeWithOrg('cf');

beforeAll(async () => {
  const def = (b: object) => ctx.org.admin.api.post('/custom-fields', b);
  expect((await def({ entityType: 'CONTACT', fieldName: 'lead_score', fieldType: 'NUMBER' })).status).toBe(201);
  expect((await def({ entityType: 'CONTACT', fieldName: 'renewal', fieldType: 'DATE' })).status).toBe(201);
  expect((await def({ entityType: 'CONTACT', fieldName: 'channel', fieldType: 'SELECT', options: ['email', 'phone'] })).status).toBe(201);
  expect((await def({ entityType: 'CONTACT', fieldName: 'interests', fieldType: 'MULTI_SELECT', options: ['crm', 'erp', 'bi'] })).status).toBe(201);
  expect((await def({ entityType: 'CONTACT', fieldName: 'notes', fieldType: 'TEXT' })).status).toBe(201);
  expect((await def({ entityType: 'DEAL', fieldName: 'deal_type', fieldType: 'SELECT', options: ['new', 'renewal'] })).status).toBe(201);
});

describe('custom fields', () => {
  it('only admins define fields; names are unique per entity type; SELECT needs options', async () => {
    expect((await ctx.org.rep1.api.post('/custom-fields', { entityType: 'CONTACT', fieldName: 'x', fieldType: 'TEXT' })).status).toBe(403);
    expect((await ctx.org.admin.api.post('/custom-fields', { entityType: 'CONTACT', fieldName: 'lead_score', fieldType: 'TEXT' })).status).toBe(409);
    expect((await ctx.org.admin.api.post('/custom-fields', { entityType: 'DEAL', fieldName: 'lead_score', fieldType: 'TEXT' })).status).toBe(201);
    expect((await ctx.org.admin.api.post('/custom-fields', { entityType: 'DEAL', fieldName: 'kind', fieldType: 'SELECT' })).status).toBe(400);
    expect((await ctx.org.admin.api.post('/custom-fields', { entityType: 'DEAL', fieldName: 'Bad Name', fieldType: 'TEXT' })).status).toBe(400);
  });

  it('accepts values of the defined types', async () => {
    const r = await ctx.org.rep1.api.post('/contacts', {
      firstName: 'Valid',
      customData: { lead_score: 85.5, renewal: '2027-01-31', channel: 'email', interests: ['crm', 'bi'], notes: 'x'.repeat(10_000) },
    });
    expect(r.status).toBe(201);
    expect(r.body.customData).toMatchObject({ lead_score: 85.5, renewal: '2027-01-31', channel: 'email', interests: ['crm', 'bi'] });
  });

  const bad: [string, unknown][] = [
    ['lead_score', 'high'],
    ['lead_score', true],
    ['renewal', '2027-02-30'],
    ['renewal', 'tomorrow'],
    ['channel', 'fax'],
    ['interests', ['crm', 'fax']],
    ['interests', 'crm'],
    ['interests', ['crm', 'crm']],
    ['notes', 'x'.repeat(10_001)],
    ['unknown_field', 1],
  ];
  for (const [field, value] of bad) {
    it(`rejects ${field} = ${JSON.stringify(value).slice(0, 30)} with 400 and writes nothing`, async () => {
      const before = (await ctx.org.rep1.api.get('/contacts?limit=200')).body.items.length;
      const r = await ctx.org.rep1.api.post('/contacts', { firstName: 'Bad', customData: { [field]: value } });
      expect(r.status).toBe(400);
      expect(r.body.error.details[0].path).toBe(`customData.${field}`);
      expect((await ctx.org.rep1.api.get('/contacts?limit=200')).body.items.length).toBe(before);
    });
  }

  it('patching merges values and null removes one', async () => {
    const c = (await ctx.org.rep1.api.post('/contacts', { firstName: 'Merge', customData: { lead_score: 1, channel: 'phone' } })).body;
    const p = await ctx.org.rep1.api.patch(`/contacts/${c.id}`, { customData: { lead_score: 2, channel: null } });
    expect(p.body.customData).toEqual({ lead_score: 2 });
  });

  it('list endpoints filter by a custom field value', async () => {
    await ctx.org.rep1.api.post('/contacts', { firstName: 'Hot', customData: { lead_score: 99, interests: ['erp'] } });
    await ctx.org.rep1.api.post('/contacts', { firstName: 'Cold', customData: { lead_score: 3 } });
    const hot = (await ctx.org.rep1.api.get('/contacts?cf.lead_score=99')).body.items;
    expect(hot.map((c: any) => c.firstName)).toEqual(['Hot']);
    const erp = (await ctx.org.rep1.api.get('/contacts?cf.interests=erp')).body.items;
    expect(erp.map((c: any) => c.firstName)).toEqual(['Hot']);
    expect((await ctx.org.rep1.api.get('/contacts?cf.nope=1')).status).toBe(400);
    const d = await ctx.org.rep1.api.post('/deals', { name: 'Renew', pipelineId: ctx.org.pipelineId, customData: { deal_type: 'renewal' } });
    expect(d.status).toBe(201);
    expect((await ctx.org.rep1.api.get('/deals?cf.deal_type=renewal')).body.items.map((x: any) => x.id)).toEqual([d.body.id]);
    expect((await ctx.org.rep1.api.get('/deals?cf.deal_type=new')).body.items).toEqual([]);
  });

  it('marking a field indexed builds an expression index the filter uses', async () => {
    const fields = (await ctx.org.admin.api.get('/custom-fields?entityType=CONTACT')).body;
    const score = fields.find((f: any) => f.fieldName === 'lead_score');
    const r = await ctx.org.admin.api.patch(`/custom-fields/${score.id}`, { indexed: true });
    expect(r.status).toBe(200);
    expect(r.body.indexed).toBe(true);
    const em = ctx.node.pulse.wp.read();
    const idx: any[] = await em.execute(`select indexdef from pg_indexes where tablename = 'contacts' and indexdef like '%lead_score%'`);
    expect(idx).toHaveLength(1);
    expect(idx[0].indexdef).toContain(`(custom_data ->> 'lead_score'::text)`);
    const valid: any[] = await em.execute(
      `select i.indisvalid from pg_index i join pg_class c on c.oid = i.indexrelid where c.relname like 'cf_%lead_score'`,
    );
    expect(valid[0].indisvalid).toBe(true);
  });
});
