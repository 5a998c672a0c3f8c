import { describe, expect, it } from 'vitest';
import { useNodeWithOrg } from '../helpers/server.js';

/**
 * Money correctness: board totals are per currency (never EUR added to USD), exact to the cent, and
 * amounts the deals.amount column (numeric(18,2)) cannot hold exactly are refused, not rounded.
 */
const ctx = useNodeWithOrg('money');

async function pipeline(name: string) {
  const p = await ctx.org.admin.api.post('/pipelines', {
    name,
    stages: [
      { name: 'Half', winProbability: 50 },
      { name: 'Tenth', winProbability: 10 },
      { name: 'Won', winProbability: 100, outcome: 'WON' },
    ],
  });
  expect(p.status).toBe(201);
  return p.body as { id: string; stages: { id: string }[] };
}

async function mkDeal(pipelineId: string, stageId: string, amount: unknown, currency: string, who: 'rep1' | 'rep2' = 'rep1') {
  const r = await ctx.org[who].api.post('/deals', { name: `${currency} ${amount}`, pipelineId, stageId, amount, currency });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

describe('board totals are per currency', () => {
  it('a stage with USD, EUR and GBP deals carries one exact entry per currency, sorted by code', async () => {
    const p = await pipeline('Mixed');
    const [half, tenth] = p.stages.map((s) => s.id) as [string, string];
    // USD first on purpose: the old code labelled the mixed sum with whichever currency came first.
    await mkDeal(p.id, half, '0.10', 'USD');
    await mkDeal(p.id, half, '0.20', 'USD');
    await mkDeal(p.id, half, '0.01', 'USD'); // 0.005 → 0.01 (half away from zero)
    await mkDeal(p.id, half, '1000', 'EUR');
    await mkDeal(p.id, half, '0.05', 'EUR'); // 0.025 → 0.03
    await mkDeal(p.id, half, '9999999999999999.99', 'GBP');
    await mkDeal(p.id, half, '0.01', 'GBP'); // the sum needs 17 integer digits and must stay exact; weighted 5000000000000000.00 + 0.01
    await mkDeal(p.id, tenth, '333.33', 'EUR', 'rep2'); // 33.333 → 33.33; rep1 cannot see it

    const board = (await ctx.org.rep1.api.get(`/pipelines/${p.id}/board`)).body;
    const [h, t, w] = board.stages;
    expect(h).not.toHaveProperty('totalAmount');
    expect(h).not.toHaveProperty('weightedAmount');
    expect(h.count).toBe(7);
    expect(h.totals).toEqual([
      { currency: 'EUR', count: 2, amount: '1000.05', weighted: '500.03' },
      { currency: 'GBP', count: 2, amount: '10000000000000000.00', weighted: '5000000000000000.01' },
      { currency: 'USD', count: 3, amount: '0.31', weighted: '0.16' },
    ]);
    expect([t.count, t.totals]).toEqual([0, []]);
    expect([w.count, w.totals]).toEqual([0, []]);

    // The manager sees rep2's deal too; the owner filter narrows totals like it narrows cards.
    const mgr = (await ctx.org.manager.api.get(`/pipelines/${p.id}/board`)).body;
    expect(mgr.stages[1].totals).toEqual([{ currency: 'EUR', count: 1, amount: '333.33', weighted: '33.33' }]);
    const onlyRep1 = (await ctx.org.manager.api.get(`/pipelines/${p.id}/board?ownerId=${ctx.org.rep1.id}`)).body;
    expect(onlyRep1.stages[1].totals).toEqual([]);
    expect(onlyRep1.stages[0].totals.map((x: any) => x.currency)).toEqual(['EUR', 'GBP', 'USD']);
  });

  it("a deal whose currency changes moves to the other currency's entry", async () => {
    const p = await pipeline('Switch');
    const [half] = p.stages.map((s) => s.id) as [string];
    const d = await mkDeal(p.id, half, '10.00', 'USD');
    await mkDeal(p.id, half, '5.00', 'USD');
    expect((await ctx.org.rep1.api.patch(`/deals/${d.id}`, { currency: 'CHF' })).status).toBe(200);
    const board = (await ctx.org.rep1.api.get(`/pipelines/${p.id}/board`)).body;
    expect(board.stages[0].totals).toEqual([
      { currency: 'CHF', count: 1, amount: '10.00', weighted: '5.00' },
      { currency: 'USD', count: 1, amount: '5.00', weighted: '2.50' },
    ]);
  });
});

describe('amounts the column cannot hold exactly are refused', () => {
  const refuse = async (amount: unknown, message: RegExp) => {
    const r = await ctx.org.rep1.api.post('/deals', { name: 'Bad', pipelineId: ctx.org.pipelineId, amount });
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(r.body.error.code).toBe('VALIDATION_FAILED');
    expect(r.body.error.details).toEqual([expect.objectContaining({ path: 'amount', message: expect.stringMatching(message) })]);
  };

  it('refuses negative amounts on create and on patch, and changes nothing', async () => {
    await refuse('-5', /must not be negative/);
    await refuse('-0.01', /must not be negative/);
    await refuse(-5, /must not be negative/);
    const d = await mkDeal(ctx.org.pipelineId, ctx.org.stages[0]!.id, '7.00', 'USD');
    const r = await ctx.org.rep1.api.patch(`/deals/${d.id}`, { amount: '-7.00' });
    expect(r.status).toBe(400);
    expect(r.body.error.details[0]).toMatchObject({ path: 'amount', message: expect.stringMatching(/must not be negative/) });
    expect((await ctx.org.rep1.api.get(`/deals/${d.id}`)).body).toMatchObject({ amount: '7.00', version: 1 });
    // Zero is an amount; "-0" is zero.
    expect((await mkDeal(ctx.org.pipelineId, ctx.org.stages[0]!.id, '-0', 'USD')).amount).toBe('0.00');
  });

  it('refuses more integer digits than numeric(18,2) holds with a message saying the limit', async () => {
    await refuse('10000000000000000', /at most 16 digits before the decimal point/);
    await refuse(1e16, /at most 16 digits before the decimal point/);
    await refuse(1e21, /at most 16 digits before the decimal point/);
    // Leading zeros are not digits of the amount; the largest amount still fits.
    expect((await mkDeal(ctx.org.pipelineId, ctx.org.stages[0]!.id, '0009999999999999999.99', 'USD')).amount).toBe('9999999999999999.99');
    expect((await mkDeal(ctx.org.pipelineId, ctx.org.stages[0]!.id, '10000000000000', 'USD')).amount).toBe('10000000000000.00');
  });

  it('refuses more than 2 decimals instead of rounding, for strings and JSON numbers', async () => {
    await refuse('1.234', /at most 2 decimals/);
    await refuse('1.230', /at most 2 decimals/);
    await refuse(1.234, /at most 2 decimals/);
    await refuse(1e-7, /at most 2 decimals/);
    await refuse('1e3', /decimal amount/);
    await refuse(Number.NaN, /decimal amount/); // JSON turns NaN into null
  });

  it('accepts JSON numbers only while they are exact; longer ones must come as strings', async () => {
    expect((await mkDeal(ctx.org.pipelineId, ctx.org.stages[0]!.id, 1234567890123.45, 'USD')).amount).toBe('1234567890123.45');
    expect((await mkDeal(ctx.org.pipelineId, ctx.org.stages[0]!.id, 0.1, 'USD')).amount).toBe('0.10');
    // 1234567890123456.78 as a JSON number arrives as 1234567890123456.8: refused, never stored rounded.
    // biome-ignore lint/correctness/noPrecisionLoss: the test sends a number JSON cannot carry exactly, on purpose
    await refuse(1234567890123456.78, /send it as a string/);
    expect((await mkDeal(ctx.org.pipelineId, ctx.org.stages[0]!.id, '1234567890123456.78', 'USD')).amount).toBe('1234567890123456.78');
  });

  it('currency is a 3-letter ISO 4217 code, stored upper case', async () => {
    expect((await mkDeal(ctx.org.pipelineId, ctx.org.stages[0]!.id, '1', 'chf')).currency).toBe('CHF');
    for (const currency of ['US', 'USDX', 'U$D', 'ZZZ', '']) {
      const r = await ctx.org.rep1.api.post('/deals', { name: 'Bad', pipelineId: ctx.org.pipelineId, amount: '1', currency });
      expect(r.status, currency).toBe(400);
      expect(r.body.error.details[0].path).toBe('currency');
    }
  });
});
