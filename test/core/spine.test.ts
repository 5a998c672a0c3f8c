import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { useNodeWithOrg } from '../helpers/server.js';
import type { Org } from '../helpers/api.js';

/** The spine's contract as REST and the outbox show it: actors, facts vs notices, the policy's write rules, settings. */
const ctx = useNodeWithOrg('spine');

interface Row {
  seq: number;
  kind: string;
  type: string;
  entity_id: string;
  payload: any;
  audience: string[];
  before: any;
  changed: string[] | null;
  actor_kind: string;
  actor_id: string | null;
  actor_name: string;
  request_id: string | null;
}

async function outbox(org: Org, after = 0): Promise<Row[]> {
  const c = new pg.Client({ connectionString: ctx.db.url });
  await c.connect();
  try {
    const t = await c.query('select tenant_id from users where id = $1', [org.admin.id]);
    const r = await c.query(
      `select seq::int as seq, kind, type, entity_id, payload, audience::text[] as audience, before, changed, actor_kind, actor_id, actor_name, request_id
      from outbox_events where tenant_id = $1 and seq > $2 order by seq`,
      [t.rows[0].tenant_id, after],
    );
    return r.rows;
  } finally {
    await c.end();
  }
}
const lastSeq = async (org: Org) => {
  const r = await outbox(org);
  return r.length ? r[r.length - 1].seq : 0;
};

describe('actor and request id', () => {
  it('records who wrote each fact and the request it came from (a safe X-Request-Id is kept, anything else replaced)', async () => {
    const { org } = ctx;
    const s0 = await lastSeq(org);
    const r = await org.rep1.api.req('POST', '/contacts', { firstName: 'Traced' }, { 'x-request-id': 'trace-123' });
    expect(r.status).toBe(201);
    expect(r.headers.get('x-request-id')).toBe('trace-123');
    const bad = await org.rep1.api.req('POST', '/contacts', { firstName: 'Untraced' }, { 'x-request-id': "bad id'; drop" });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const ev = await outbox(org, s0);
    expect(ev.map((e) => [e.type, e.kind, e.actor_kind, e.actor_id, e.request_id])).toEqual([
      ['contact.created', 'fact', 'user', org.rep1.id, 'trace-123'],
      ['contact.created', 'fact', 'user', org.rep1.id, bad.headers.get('x-request-id')],
    ]);
    expect(ev[0].actor_name).toBe('rep1');
  });

  it('an update fact names the changed fields (custom fields by name) with their previous values', async () => {
    const { org } = ctx;
    const c = (await org.rep1.api.post('/contacts', { firstName: 'Ada', jobTitle: 'CTO', tags: ['a'] })).body;
    const s0 = await lastSeq(org);
    expect((await org.rep1.api.patch(`/contacts/${c.id}`, { jobTitle: 'CEO', tags: ['a', 'b'], firstName: 'Ada' })).status).toBe(200);
    const [e] = await outbox(org, s0);
    expect(e.type).toBe('contact.updated');
    expect(e.changed).toEqual(['jobTitle', 'tags']);
    expect(e.before).toEqual({ jobTitle: 'CTO', tags: ['a'] });
    expect(e.payload.jobTitle).toBe('CEO');
  });
});

describe('access notices replace fake deletions', () => {
  it('reassigning a contact: access.lost to those who lost sight (with the new owner), access.granted to the new side, no deletion', async () => {
    const { org } = ctx;
    const c = (await org.rep1.api.post('/contacts', { firstName: 'Moving' })).body;
    const s0 = await lastSeq(org);
    expect((await org.manager.api.patch(`/contacts/${c.id}`, { ownerId: org.rep2.id })).status).toBe(200);
    const ev = await outbox(org, s0);
    expect(ev.map((e) => e.type)).toEqual(['contact.updated', 'access.lost', 'access.granted']);
    expect(ev[1].kind).toBe('notice');
    expect(ev[1].audience).toEqual([org.rep1.id]);
    expect(ev[1].payload).toMatchObject({ entityType: 'contact', entityId: c.id, reason: 'reassigned', toOwnerId: org.rep2.id });
    expect(ev[2].audience).toEqual([org.rep2.id]);
    expect(ev[2].payload.record.id).toBe(c.id);
    expect((await org.rep1.api.get(`/contacts/${c.id}`)).status).toBe(404);
  });

  it('unsharing tells the former reader they lost access; a share tells the new reader they gained it', async () => {
    const { org } = ctx;
    const c = (await org.rep1.api.post('/contacts', { firstName: 'Shared' })).body;
    const s0 = await lastSeq(org);
    expect((await org.rep1.api.post(`/contacts/${c.id}/shares`, { userId: org.solo.id, permission: 'READ' })).status).toBe(201);
    const granted = (await outbox(org, s0)).filter((e) => e.kind === 'notice');
    expect(granted.map((e) => [e.type, e.audience, e.payload.reason])).toEqual([['access.granted', [org.solo.id], 'shared']]);
    const s1 = await lastSeq(org);
    expect((await org.rep1.api.del(`/contacts/${c.id}/shares/${org.solo.id}`)).status).toBe(204);
    const ev = await outbox(org, s1);
    expect(ev.map((e) => [e.type, e.kind])).toEqual([
      ['share.deleted', 'fact'],
      ['access.lost', 'notice'],
    ]);
    expect(ev[1].audience).toEqual([org.solo.id]);
    expect(ev[1].payload).toMatchObject({ entityType: 'contact', entityId: c.id, reason: 'unshared' });
  });

  it('moving a rep to another manager: one owner-wide notice each to the old and the new manager', async () => {
    const { org } = ctx;
    const m2 = (
      await org.admin.api.post('/users', {
        name: 'Manager Two',
        email: `m2.${Date.now()}@t.test`,
        password: 'correct horse battery',
        role: 'MANAGER',
      })
    ).body;
    const s0 = await lastSeq(org);
    expect((await org.admin.api.patch(`/users/${org.rep2.id}`, { managerId: m2.id })).status).toBe(200);
    const notices = (await outbox(org, s0)).filter((e) => e.kind === 'notice');
    expect(notices.map((e) => [e.type, e.audience, e.payload.entityType, e.payload.entityId, e.payload.reason])).toEqual([
      ['access.lost', [org.manager.id], 'owner', org.rep2.id, 'manager_changed'],
      ['access.granted', [m2.id], 'owner', org.rep2.id, 'manager_changed'],
    ]);
    expect((await org.admin.api.patch(`/users/${org.rep2.id}`, { managerId: org.manager.id })).status).toBe(200);
  });
});

describe("a READ share gives no way onto the contact's timeline", () => {
  it('cannot link a new or existing deal to the contact, nor log an activity on it', async () => {
    const { org } = ctx;
    const c = (await org.rep1.api.post('/contacts', { firstName: 'Guarded' })).body;
    await org.rep1.api.post(`/contacts/${c.id}/shares`, { userId: org.solo.id, permission: 'READ' });
    const s0 = await lastSeq(org);
    const create = await org.solo.api.post('/deals', { name: 'Sneaky', pipelineId: org.pipelineId, contactId: c.id });
    expect(create.status).toBe(403);
    expect(create.body.error.code).toBe('READ_ONLY');
    const own = (await org.solo.api.post('/deals', { name: 'Own', pipelineId: org.pipelineId })).body;
    const link = await org.solo.api.patch(`/deals/${own.id}`, { contactId: c.id });
    expect(link.status).toBe(403);
    expect((await org.solo.api.post('/activities', { type: 'CALL', contactId: c.id, subject: 'x' })).status).toBe(403);
    expect((await outbox(org, s0)).map((e) => e.type)).toEqual(['deal.created']);
    expect((await org.rep1.api.get(`/contacts/${c.id}/timeline`)).body.items).toEqual([]);
  });

  it('a deal linked while the share was WRITE stops filing onto the contact once it is READ or revoked', async () => {
    const { org } = ctx;
    const c = (await org.rep1.api.post('/contacts', { firstName: 'Downgraded' })).body;
    await org.rep1.api.post(`/contacts/${c.id}/shares`, { userId: org.solo.id, permission: 'WRITE' });
    const deal = (await org.solo.api.post('/deals', { name: 'Linked', pipelineId: org.pipelineId, contactId: c.id })).body;
    expect(deal.contactId).toBe(c.id);
    const before = (await org.rep1.api.get(`/contacts/${c.id}/timeline`)).body.items.length;
    await org.rep1.api.post(`/contacts/${c.id}/shares`, { userId: org.solo.id, permission: 'READ' });
    const call = (await org.solo.api.post('/activities', { type: 'CALL', dealId: deal.id, subject: 'on the deal' })).body;
    expect(call.contactId).toBeNull();
    expect(call.dealId).toBe(deal.id);
    await org.rep1.api.del(`/contacts/${c.id}/shares/${org.solo.id}`);
    const moved = await org.solo.api.post(`/deals/${deal.id}/move`, { stageId: org.stages[1].id });
    expect(moved.status).toBe(200);
    const dealTimeline = (await org.solo.api.get(`/deals/${deal.id}/timeline`)).body.items;
    expect(dealTimeline.find((a: any) => a.subject === 'Stage changed').contactId).toBeNull();
    expect((await org.rep1.api.get(`/contacts/${c.id}/timeline`)).body.items.length).toBe(before);
  });

  it('with WRITE on the contact, activities logged on the deal still land on the contact timeline', async () => {
    const { org } = ctx;
    const c = (await org.rep1.api.post('/contacts', { firstName: 'Writable' })).body;
    await org.rep1.api.post(`/contacts/${c.id}/shares`, { userId: org.solo.id, permission: 'WRITE' });
    const deal = (await org.solo.api.post('/deals', { name: 'Linked W', pipelineId: org.pipelineId, contactId: c.id })).body;
    const call = (await org.solo.api.post('/activities', { type: 'CALL', dealId: deal.id, subject: 'on both' })).body;
    expect(call.contactId).toBe(c.id);
  });
});

describe('abilities on records', () => {
  it('come from the policy: owner side may do everything, WRITE share edits only, READ share nothing', async () => {
    const { org } = ctx;
    const c = (await org.rep1.api.post('/contacts', { firstName: 'Able' })).body;
    await org.rep1.api.post(`/contacts/${c.id}/shares`, { userId: org.solo.id, permission: 'READ' });
    await org.rep1.api.post(`/contacts/${c.id}/shares`, { userId: org.rep2.id, permission: 'WRITE' });
    const all = { update: true, delete: true, share: true, reassign: true, merge: true };
    expect((await org.rep1.api.get(`/contacts/${c.id}`)).body.abilities).toEqual(all);
    expect((await org.manager.api.get(`/contacts/${c.id}`)).body.abilities).toEqual(all);
    expect((await org.rep2.api.get(`/contacts/${c.id}`)).body.abilities).toEqual({
      update: true,
      delete: false,
      share: false,
      reassign: false,
      merge: false,
    });
    expect((await org.solo.api.get(`/contacts/${c.id}`)).body.abilities).toEqual({
      update: false,
      delete: false,
      share: false,
      reassign: false,
      merge: false,
    });
    const listed = (await org.solo.api.get('/contacts?limit=100')).body.items.find((x: any) => x.id === c.id);
    expect(listed.abilities.update).toBe(false);
    const deal = (await org.rep1.api.post('/deals', { name: 'Ab', pipelineId: org.pipelineId })).body;
    expect((await org.rep1.api.get(`/deals/${deal.id}`)).body.abilities).toEqual({
      update: true,
      delete: true,
      share: false,
      reassign: true,
      merge: false,
    });
  });
});

describe('tenant settings', () => {
  it('default, admin-only changes as facts, validated whole, used by new deals', async () => {
    const { org } = ctx;
    expect((await org.rep1.api.get('/settings')).body).toEqual({ timezone: 'UTC', defaultPhoneRegion: 'US', defaultCurrency: 'USD' });
    const denied = await org.manager.api.patch('/settings', { timezone: 'Europe/Berlin' });
    expect(denied.status).toBe(403);
    for (const bad of [
      { timezone: 'Mars/Olympus' },
      { defaultPhoneRegion: 'XX' },
      { defaultCurrency: 'ABC' },
      {},
      { other: 1 },
      { timezone: 'UTC\u0000' },
    ]) {
      const r = await org.admin.api.patch('/settings', bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_FAILED');
    }
    const s0 = await lastSeq(org);
    const ok = await org.admin.api.patch('/settings', { timezone: 'Europe/Berlin', defaultCurrency: 'eur', defaultPhoneRegion: 'de' });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ timezone: 'Europe/Berlin', defaultPhoneRegion: 'DE', defaultCurrency: 'EUR' });
    const [fact] = await outbox(org, s0);
    expect([fact.type, fact.kind, fact.changed]).toEqual(['settings.updated', 'fact', ['timezone', 'defaultPhoneRegion', 'defaultCurrency']]);
    expect(fact.before).toEqual({ timezone: 'UTC', defaultPhoneRegion: 'US', defaultCurrency: 'USD' });
    expect(fact.audience.length).toBeGreaterThanOrEqual(5);
    expect((await org.rep1.api.get('/settings')).body.timezone).toBe('Europe/Berlin');
    expect((await org.rep1.api.post('/deals', { name: 'Euro', pipelineId: org.pipelineId })).body.currency).toBe('EUR');
  });
});

describe('pipeline commands', () => {
  it('admins rename, reorder and add stages as one fact with what changed; a stage holding deals cannot be removed; others are refused', async () => {
    const { org } = ctx;
    const p = (
      await org.admin.api.post('/pipelines', {
        name: 'Renewals',
        stages: [
          { name: 'Due', winProbability: 50 },
          { name: 'Closed Won', winProbability: 100 },
        ],
      })
    ).body;
    expect(p.stages.map((s: any) => [s.name, s.outcome])).toEqual([
      ['Due', 'OPEN'],
      ['Closed Won', 'WON'],
    ]);
    expect((await org.manager.api.patch(`/pipelines/${p.id}`, { name: 'Mine' })).status).toBe(403);
    await org.rep1.api.post('/deals', { name: 'Renewal', pipelineId: p.id });
    const s0 = await lastSeq(org);
    const [due, won] = p.stages;
    const r = await org.admin.api.patch(`/pipelines/${p.id}`, {
      name: 'Renewals 2027',
      stages: [
        { id: due.id, name: 'Due soon', winProbability: 60 },
        { name: 'Quoted', winProbability: 80 },
        { id: won.id, name: 'Closed Won', winProbability: 100 },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body.stages.map((s: any) => s.name)).toEqual(['Due soon', 'Quoted', 'Closed Won']);
    const [fact] = await outbox(org, s0);
    expect([fact.type, fact.changed]).toEqual(['pipeline.updated', ['name', 'stages']]);
    expect(fact.before.name).toBe('Renewals');
    const removing = await org.admin.api.patch(`/pipelines/${p.id}`, { stages: [{ id: won.id, name: 'Closed Won', winProbability: 100 }] });
    expect(removing.status).toBe(409);
    expect(removing.body.error.code).toBe('STAGE_IN_USE');
  });
});
