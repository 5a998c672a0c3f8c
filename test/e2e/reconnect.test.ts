import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createTestDatabase, REDIS_URL } from '../helpers/db.js';
import { startNode, type TestNode } from '../helpers/server.js';
import { createOrg, type Org } from '../helpers/api.js';
import { loadConfig } from '../../server/config.js';
import { createPulse } from '../../server/app.js';
import { defaultExtensions } from '../../server/extensions.js';
import { launch, signIn, shot } from './browser.js';

/**
 * The browser's node goes away and comes back on the same address: the page shows that it is
 * reconnecting, and afterwards shows what happened meanwhile (replayed from its last seq) without a reload.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let a: TestNode | null = null;
let b: TestNode;
let org: Org;
let browser: Browser;

async function startAt(port: number): Promise<TestNode> {
  const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: db.url, REDIS_URL, SEED_DEMO: '0' });
  const pulse = await createPulse(config, { extensions: await defaultExtensions(config) });
  const url = await pulse.listen(port, '127.0.0.1');
  return { pulse, url, close: () => pulse.close() };
}

beforeAll(async () => {
  db = await createTestDatabase();
  a = await startNode({ databaseUrl: db.url, redisUrl: REDIS_URL, extensions: defaultExtensions });
  b = await startNode({ databaseUrl: db.url, redisUrl: REDIS_URL, extensions: defaultExtensions });
  org = await createOrg(b.url, 'reconnect');
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await a?.close();
  await b?.close();
  await db?.drop();
});

it('shows "reconnecting" while its node is down and replays the missed moves when it is back', async () => {
  const lead = org.stages.find((s) => s.name === 'Lead')!.id;
  const proposal = org.stages.find((s) => s.name === 'Proposal')!.id;
  const deal = (await org.rep1.api.post('/deals', { name: 'Umbrella renewal', pipelineId: org.pipelineId, stageId: lead, amount: '30000' })).body;
  const email = (await org.rep1.api.get('/me')).body.email;
  const base = a!.url;
  const port = Number(new URL(base).port);
  const rep = await signIn(browser, base, email, 'correct horse battery');
  try {
    const column = (name: string) => rep.page.locator('[data-testid=stage-column]', { has: rep.page.getByRole('heading', { name, exact: true }) });
    await column('Lead').getByText('Umbrella renewal').waitFor();
    await rep.page.getByTestId('connection-banner').waitFor({ state: 'detached' });
    await rep.page.evaluate(() => {
      (window as any).__sameDocument = true;
    });

    await a!.close();
    a = null;
    await rep.page.getByTestId('connection-banner').getByText('Reconnecting').waitFor({ timeout: 15_000 });
    await shot(rep.page, 'reconnecting');

    // Meanwhile, through the other node: a move and a new deal.
    expect((await org.rep1.api.post(`/deals/${deal.id}/move`, { stageId: proposal })).status).toBe(200);
    expect((await org.rep1.api.post('/deals', { name: 'Wayne expansion', pipelineId: org.pipelineId, stageId: lead, amount: '5000' })).status).toBe(
      201,
    );

    a = await startAt(port);
    await column('Proposal').getByText('Umbrella renewal').waitFor({ timeout: 20_000 });
    await column('Lead').getByText('Wayne expansion').waitFor({ timeout: 20_000 });
    await rep.page.getByTestId('connection-banner').waitFor({ state: 'detached' });
    expect(await column('Lead').getByText('Umbrella renewal').count()).toBe(0);
    expect(await rep.page.evaluate(() => (window as any).__sameDocument)).toBe(true);
    expect(rep.errors).toEqual([]);
  } finally {
    await rep.ctx.close();
  }
});

it('refetches and follows the server again when its stored seq is unknown to the server (resync.required)', async () => {
  const lead = org.stages.find((s) => s.name === 'Lead')!.id;
  const qualified = org.stages.find((s) => s.name === 'Qualified')!.id;
  const deal = (await org.rep2.api.post('/deals', { name: 'Stark upgrade', pipelineId: org.pipelineId, stageId: lead, amount: '7000' })).body;
  const me = (await org.rep2.api.get('/me')).body;
  const rep = await signIn(browser, b.url, me.email, 'correct horse battery');
  try {
    const column = (name: string) => rep.page.locator('[data-testid=stage-column]', { has: rep.page.getByRole('heading', { name, exact: true }) });
    await column('Lead').getByText('Stark upgrade').waitFor();
    // A seq from the future (another database, a restored backup): every real event would look old and be dropped.
    await rep.page.evaluate((id) => sessionStorage.setItem('pulse.lastSeq.' + id, '999999999'), me.id);
    await rep.page.reload();
    await column('Lead').getByText('Stark upgrade').waitFor();
    await rep.page.getByTestId('connection-banner').waitFor({ state: 'detached' });
    expect(Number(await rep.page.evaluate((id) => sessionStorage.getItem('pulse.lastSeq.' + id), me.id))).toBeLessThan(999999999);
    expect((await org.rep2.api.post(`/deals/${deal.id}/move`, { stageId: qualified })).status).toBe(200);
    await column('Qualified').getByText('Stark upgrade').waitFor({ timeout: 15_000 });
    expect(rep.errors).toEqual([]);
  } finally {
    await rep.ctx.close();
  }
});
