import { describe, expect, it } from 'vitest';
import { useNodeWithOrg } from '../helpers/server.js';

const ctx = useNodeWithOrg('deals');
const stage = (name: string) => ctx.org.stages.find((s) => s.name === name)!.id;

async function newDeal(extra: Record<string, unknown> = {}) {
  const contact = (await ctx.org.rep1.api.post('/contacts', { firstName: 'Buyer', lastName: String(Math.random()) })).body;
  const r = await ctx.org.rep1.api.post('/deals', {
    name: 'Big deal',
    contactId: contact.id,
    pipelineId: ctx.org.pipelineId,
    amount: '12345.67',
    currency: 'eur',
    closeDate: '2026-12-31',
    ...extra,
  });
  expect(r.status).toBe(201);
  return r.body;
}

describe('deals', () => {
  it('creates a deal in the first stage with exact money', async () => {
    const d = await newDeal();
    expect(d).toMatchObject({
      stageId: stage('Lead'),
      status: 'OPEN',
      amount: '12345.67',
      currency: 'EUR',
      closeDate: '2026-12-31',
      version: 1,
      closedAt: null,
    });
    const big = await newDeal({ amount: '9999999999999999.99' });
    expect(big.amount).toBe('9999999999999999.99');
  });

  it('moves between stages, logging history and a NOTE activity', async () => {
    const d = await newDeal();
    const m = await ctx.org.rep1.api.post(`/deals/${d.id}/move`, { stageId: stage('Proposal'), version: 1 });
    expect(m.status).toBe(200);
    expect(m.body).toMatchObject({ stageId: stage('Proposal'), status: 'OPEN', version: 2 });
    const h = (await ctx.org.rep1.api.get(`/deals/${d.id}/history`)).body;
    expect(h.map((x: any) => [x.fromStageId, x.toStageId])).toEqual([
      [null, stage('Lead')],
      [stage('Lead'), stage('Proposal')],
    ]);
    expect(h[1].changedBy).toBe(ctx.org.rep1.id);
    const tl = (await ctx.org.rep1.api.get(`/deals/${d.id}/timeline`)).body.items;
    expect(tl[0]).toMatchObject({
      type: 'NOTE',
      body: 'Deal moved from Lead to Proposal',
      dealId: d.id,
      contactId: d.contactId,
      userId: ctx.org.rep1.id,
    });
    // The same note shows on the contact's timeline.
    const ctl = (await ctx.org.rep1.api.get(`/contacts/${d.contactId}/timeline`)).body.items;
    expect(ctl.map((a: any) => a.body)).toContain('Deal moved from Lead to Proposal');
  });

  it('entering a WON/LOST stage closes the deal; leaving it re-opens', async () => {
    const d = await newDeal();
    const won = (await ctx.org.rep1.api.post(`/deals/${d.id}/move`, { stageId: stage('Closed Won') })).body;
    expect(won.status).toBe('WON');
    expect(won.closedAt).not.toBeNull();
    const lost = (await ctx.org.rep1.api.post(`/deals/${d.id}/move`, { stageId: stage('Closed Lost') })).body;
    expect(lost.status).toBe('LOST');
    const reopened = (await ctx.org.rep1.api.post(`/deals/${d.id}/move`, { stageId: stage('Negotiation') })).body;
    expect(reopened).toMatchObject({ status: 'OPEN', closedAt: null });
  });

  it('closing follows the stage outcome, not its name', async () => {
    const p = await ctx.org.admin.api.post('/pipelines', {
      name: 'Renewals',
      stages: [
        { name: 'Open', winProbability: 20 },
        { name: 'Signed', winProbability: 100, outcome: 'WON' },
        { name: 'Closed Won', winProbability: 100, outcome: 'OPEN' },
      ],
    });
    expect(p.status).toBe(201);
    expect(p.body.stages.map((s: any) => [s.orderIndex, s.outcome])).toEqual([
      [0, 'OPEN'],
      [1, 'WON'],
      [2, 'OPEN'],
    ]);
    const d = (await ctx.org.rep1.api.post('/deals', { name: 'R', pipelineId: p.body.id })).body;
    expect((await ctx.org.rep1.api.post(`/deals/${d.id}/move`, { stageId: p.body.stages[1].id })).body.status).toBe('WON');
    expect((await ctx.org.rep1.api.post(`/deals/${d.id}/move`, { stageId: p.body.stages[2].id })).body.status).toBe('OPEN');
  });

  it('a stage of another pipeline is 422 INVALID_STAGE and nothing changes', async () => {
    const d = await newDeal();
    const p = await ctx.org.admin.api.post('/pipelines', { name: 'Other', stages: [{ name: 'X', winProbability: 5 }] });
    const r = await ctx.org.rep1.api.post(`/deals/${d.id}/move`, { stageId: p.body.stages[0].id });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('INVALID_STAGE');
    const after = (await ctx.org.rep1.api.get(`/deals/${d.id}`)).body;
    expect(after).toMatchObject({ stageId: stage('Lead'), version: 1 });
    expect((await ctx.org.rep1.api.get(`/deals/${d.id}/history`)).body).toHaveLength(1);
    expect((await ctx.org.rep1.api.get(`/deals/${d.id}/timeline`)).body.items).toHaveLength(0);
  });

  it('links to a contact or company the rep cannot see are 422 INVALID_REFERENCE and nothing changes', async () => {
    const d = await newDeal();
    const mine = (await ctx.org.rep1.api.post('/companies', { name: 'Mine Inc' })).body;
    const theirContact = (await ctx.org.rep2.api.post('/contacts', { firstName: 'Theirs' })).body;
    const theirCompany = (await ctx.org.rep2.api.post('/companies', { name: 'Theirs Inc' })).body;
    for (const link of [{ contactId: theirContact.id }, { companyId: theirCompany.id }, { contactId: d.contactId, companyId: theirCompany.id }]) {
      const r = await ctx.org.rep1.api.patch(`/deals/${d.id}`, { ...link, name: 'relinked', version: 1 });
      expect(r.status).toBe(422);
      expect(r.body.error.code).toBe('INVALID_REFERENCE');
    }
    expect((await ctx.org.rep1.api.post('/deals', { name: 'x', pipelineId: ctx.org.pipelineId, companyId: theirCompany.id })).status).toBe(422);
    expect((await ctx.org.rep1.api.get(`/deals/${d.id}`)).body).toMatchObject({
      name: 'Big deal',
      contactId: d.contactId,
      companyId: null,
      version: 1,
    });

    // Visible links are set and cleared through the same PATCH.
    const linked = await ctx.org.rep1.api.patch(`/deals/${d.id}`, { companyId: mine.id, version: 1 });
    expect(linked.body).toMatchObject({ contactId: d.contactId, companyId: mine.id, version: 2 });
    const cleared = await ctx.org.rep1.api.patch(`/deals/${d.id}`, { contactId: null, companyId: null, version: 2 });
    expect(cleared.body).toMatchObject({ contactId: null, companyId: null, version: 3 });

    // A link someone with wider sight made stays: saving the deal with it unchanged is not re-linking.
    expect((await ctx.org.manager.api.patch(`/deals/${d.id}`, { companyId: theirCompany.id })).status).toBe(200);
    const kept = await ctx.org.rep1.api.patch(`/deals/${d.id}`, { name: 'Kept', companyId: theirCompany.id, version: 4 });
    expect(kept.status).toBe(200);
    expect(kept.body).toMatchObject({ name: 'Kept', companyId: theirCompany.id, version: 5 });
  });

  it('a stale version is 409 and nothing changes', async () => {
    const d = await newDeal();
    await ctx.org.rep1.api.post(`/deals/${d.id}/move`, { stageId: stage('Qualified'), version: 1 });
    const stale = await ctx.org.rep1.api.post(`/deals/${d.id}/move`, { stageId: stage('Proposal'), version: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('VERSION_CONFLICT');
    expect(stale.body.error.details.current).toMatchObject({ stageId: stage('Qualified'), version: 2 });
    expect((await ctx.org.rep1.api.get(`/deals/${d.id}`)).body).toMatchObject({ stageId: stage('Qualified'), version: 2 });
    expect((await ctx.org.rep1.api.get(`/deals/${d.id}/history`)).body).toHaveLength(2);
    const stalePatch = await ctx.org.rep1.api.patch(`/deals/${d.id}`, { name: 'x', version: 1 });
    expect(stalePatch.status).toBe(409);
    expect((await ctx.org.rep1.api.get(`/deals/${d.id}`)).body.name).toBe('Big deal');
  });

  it('concurrent moves never lose a history row', async () => {
    const d = await newDeal();
    const targets = ['Qualified', 'Proposal', 'Negotiation', 'Lead', 'Qualified', 'Proposal', 'Negotiation', 'Lead', 'Proposal', 'Qualified'];
    const results = await Promise.all(
      targets.map((t, i) => (i % 2 ? ctx.org.rep1.api : ctx.org.manager.api).post(`/deals/${d.id}/move`, { stageId: stage(t) })),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const final = (await ctx.org.rep1.api.get(`/deals/${d.id}`)).body;
    const history = (await ctx.org.rep1.api.get(`/deals/${d.id}/history`)).body;
    const moves = history.length - 1;
    // Each applied move (a move to the current stage is a no-op) bumped the version once and wrote one row.
    expect(final.version).toBe(1 + moves);
    expect(moves).toBeGreaterThanOrEqual(5);
    // The history is a chain: each row starts where the previous one ended.
    for (let i = 1; i < history.length; i++) expect(history[i].fromStageId).toBe(history[i - 1].toStageId);
    expect(history[history.length - 1].toStageId).toBe(final.stageId);
    const notes = (await ctx.org.rep1.api.get(`/deals/${d.id}/timeline?type=NOTE&limit=200`)).body.items;
    expect(notes).toHaveLength(moves);
  });

  it('concurrent moves with the same version: exactly one wins', async () => {
    const d = await newDeal();
    const results = await Promise.all(
      ['Qualified', 'Proposal', 'Negotiation', 'Closed Won'].map((t) =>
        ctx.org.rep1.api.post(`/deals/${d.id}/move`, { stageId: stage(t), version: 1 }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409]);
    expect((await ctx.org.rep1.api.get(`/deals/${d.id}/history`)).body).toHaveLength(2);
  });

  it('the board groups visible open deals by stage with count, total and weighted amounts', async () => {
    const p = await ctx.org.admin.api.post('/pipelines', {
      name: 'Board',
      stages: [
        { name: 'A', winProbability: 10 },
        { name: 'B', winProbability: 55 },
        { name: 'Closed Won', winProbability: 100 },
      ],
    });
    const [a, b, w] = p.body.stages;
    const mk = (amount: string, stageId: string, api = ctx.org.rep1.api) =>
      api.post('/deals', { name: 'D' + amount, pipelineId: p.body.id, stageId, amount });
    await mk('100.10', a.id);
    await mk('200.05', a.id);
    await mk('1000', b.id);
    await mk('333.33', b.id, ctx.org.rep2.api);
    await mk('5000', w.id);
    const board = (await ctx.org.rep1.api.get(`/pipelines/${p.body.id}/board`)).body;
    expect(board.stages.map((s: any) => [s.name, s.count, s.totals])).toEqual([
      ['A', 2, [{ currency: 'USD', count: 2, amount: '300.15', weighted: '30.02' }]],
      ['B', 1, [{ currency: 'USD', count: 1, amount: '1000.00', weighted: '550.00' }]],
      ['Closed Won', 0, []],
    ]);
    const mgr = (await ctx.org.manager.api.get(`/pipelines/${p.body.id}/board`)).body;
    expect(mgr.stages[1]).toMatchObject({ count: 2, totals: [{ currency: 'USD', count: 2, amount: '1333.33', weighted: '733.33' }] });
    const onlyRep2 = (await ctx.org.manager.api.get(`/pipelines/${p.body.id}/board?ownerId=${ctx.org.rep2.id}`)).body;
    expect(onlyRep2.stages.map((s: any) => s.count)).toEqual([0, 1, 0]);
    const mine = (await ctx.org.manager.api.get(`/pipelines/${p.body.id}/board?ownerId=me`)).body;
    expect(mine.stages.map((s: any) => s.count)).toEqual([0, 0, 0]);
  });

  it('admins can reorder, rename and add stages; stages holding deals cannot be removed', async () => {
    const p = (
      await ctx.org.admin.api.post('/pipelines', {
        name: 'Edit',
        stages: [
          { name: 'One', winProbability: 10 },
          { name: 'Two', winProbability: 20 },
        ],
      })
    ).body;
    const [one, two] = p.stages;
    await ctx.org.rep1.api.post('/deals', { name: 'In one', pipelineId: p.id, stageId: one.id });
    const re = await ctx.org.admin.api.patch(`/pipelines/${p.id}`, {
      stages: [
        { id: two.id, name: 'Two!', winProbability: 30 },
        { id: one.id, name: 'One', winProbability: 10 },
        { name: 'Three', winProbability: 90 },
      ],
    });
    expect(re.status).toBe(200);
    expect(re.body.stages.map((s: any) => [s.name, s.orderIndex, s.winProbability])).toEqual([
      ['Two!', 0, 30],
      ['One', 1, 10],
      ['Three', 2, 90],
    ]);
    const drop = await ctx.org.admin.api.patch(`/pipelines/${p.id}`, { stages: [{ id: two.id, name: 'Two!', winProbability: 30 }] });
    expect(drop.status).toBe(409);
    expect((await ctx.org.rep1.api.patch(`/pipelines/${p.id}`, { name: 'mine now' })).status).toBe(403);
  });

  it('deleting a deal removes it and its activities', async () => {
    const d = await newDeal();
    await ctx.org.rep1.api.post('/activities', { type: 'CALL', dealId: d.id, subject: 'c' });
    expect((await ctx.org.rep1.api.del(`/deals/${d.id}`)).status).toBe(204);
    expect((await ctx.org.rep1.api.get(`/deals/${d.id}`)).status).toBe(404);
    expect((await ctx.org.rep1.api.get(`/deals/${d.id}/timeline`)).status).toBe(404);
  });
});
