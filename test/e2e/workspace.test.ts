import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createTestDatabase, REDIS_URL } from '../helpers/db.js';
import { startNode, type TestNode } from '../helpers/server.js';
import { createOrg, type Org } from '../helpers/api.js';
import { defaultExtensions } from '../../server/extensions.js';
import { launch, signIn, shot } from './browser.js';

/**
 * The workspace in real headless Chromium against two real server nodes (PostgreSQL + Redis fan-out):
 * the rep's browser talks to node A, the manager's to node B, so everything "live" crosses nodes.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let a: TestNode;
let b: TestNode;
let org: Org;
let browser: Browser;
const PASSWORD = 'correct horse battery';
const emails: Record<string, string> = {};
const deals: Record<string, any> = {};
let contact: any;

beforeAll(async () => {
  db = await createTestDatabase();
  // Unique Redis prefixes are not needed: each test database is a different tenant id space.
  a = await startNode({ databaseUrl: db.url, redisUrl: REDIS_URL, extensions: defaultExtensions });
  b = await startNode({ databaseUrl: db.url, redisUrl: REDIS_URL, extensions: defaultExtensions });
  org = await createOrg(a.url, 'e2e');
  for (const k of ['manager', 'rep1', 'rep2'] as const) emails[k] = (await org[k].api.get('/me')).body.email;
  const lead = org.stages.find((s) => s.name === 'Lead')!.id;
  const mk = async (who: 'rep1' | 'rep2' | 'solo', name: string, amount: string) => {
    const r = await org[who].api.post('/deals', { name, pipelineId: org.pipelineId, stageId: lead, amount, closeDate: '2030-06-30' });
    expect(r.status).toBe(201);
    return r.body;
  };
  deals.rep1 = await mk('rep1', 'Globex platform deal', '48000');
  deals.rep2 = await mk('rep2', 'Initech secret deal', '12500');
  deals.solo = await mk('solo', 'Solo side deal', '9000');
  contact = (await org.rep1.api.post('/contacts', { firstName: 'Hana', lastName: 'Kim', email: 'hana@globex.test', jobTitle: 'CTO', tags: ['vip'] }))
    .body;
  for (let i = 0; i < 25; i++) {
    const r = await org.rep1.api.post('/activities', {
      type: i % 2 ? 'CALL' : 'EMAIL',
      contactId: contact.id,
      subject: `Touchpoint ${i}`,
      completedAt: new Date().toISOString(),
    });
    expect(r.status).toBe(201);
  }
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await a?.close();
  await b?.close();
  await db?.drop();
});

const column = (page: import('playwright-core').Page, stageName: string) =>
  page.locator('[data-testid=stage-column]', { has: page.getByRole('heading', { name: stageName, exact: true }) });

describe('the workspace in a real browser', () => {
  it("a rep drags a deal and the manager sees it move live; reps never see each other's deals", async () => {
    const rep = await signIn(browser, a.url, emails.rep1, PASSWORD);
    const mgr = await signIn(browser, b.url, emails.manager, PASSWORD);
    try {
      await rep.page.getByText('Globex platform deal').waitFor();
      await mgr.page.getByText('Initech secret deal').waitFor();
      // Visibility: the rep sees only their own deal; the manager sees the team's, not the solo rep's.
      expect(await rep.page.getByTestId('deal-card').allTextContents()).toEqual([expect.stringContaining('Globex platform deal')]);
      expect(await rep.page.getByText('Initech secret deal').count()).toBe(0);
      expect(await mgr.page.getByText('Globex platform deal').count()).toBe(1);
      expect(await mgr.page.getByText('Solo side deal').count()).toBe(0);
      // Presence: each sees the other on the board, across nodes.
      await mgr.page.getByTestId('presence').getByRole('img', { name: 'rep1' }).waitFor();
      await rep.page.getByTestId('presence').getByRole('img', { name: 'manager' }).waitFor();

      const card = rep.page.locator('[data-testid=deal-card]', { hasText: 'Globex platform deal' });
      await card.dragTo(column(rep.page, 'Qualified'));
      await column(rep.page, 'Qualified').getByText('Globex platform deal').waitFor();

      // The manager's board, on the other node, without a reload: the card arrives and is highlighted.
      const moved = column(mgr.page, 'Qualified').locator('[data-testid=deal-card]', { hasText: 'Globex platform deal' });
      await moved.waitFor({ timeout: 15_000 });
      await moved.getByTestId('live-highlight').waitFor();
      expect(await column(mgr.page, 'Lead').getByText('Globex platform deal').count()).toBe(0);
      expect(await column(mgr.page, 'Qualified').getByTestId('stage-total').textContent()).toBe('$48,000');
      await shot(mgr.page, 'board');

      const stageNow = (await org.rep1.api.get(`/deals/${deals.rep1.id}`)).body.stageId;
      expect(org.stages.find((s) => s.id === stageNow)?.name).toBe('Qualified');

      // The keyboard way: Alt+→ moves the focused card one stage on, and the manager sees that too.
      await column(rep.page, 'Qualified').locator('[data-testid=deal-card]').focus();
      await rep.page.keyboard.press('Alt+ArrowRight');
      await column(mgr.page, 'Proposal').getByText('Globex platform deal').waitFor({ timeout: 15_000 });
      // The manager narrows the board to one rep.
      await mgr.page.getByTestId('owner-filter').selectOption({ label: 'rep2' });
      await expect.poll(() => mgr.page.getByTestId('deal-card').allTextContents()).toEqual([expect.stringContaining('Initech secret deal')]);
      await mgr.page.getByTestId('owner-filter').selectOption('team');
      await expect.poll(() => mgr.page.getByTestId('deal-card').count()).toBe(2);
      expect(rep.errors).toEqual([]);
      expect(mgr.errors).toEqual([]);
    } finally {
      await rep.ctx.close();
      await mgr.ctx.close();
    }
  });

  it("two people type into the same deal note and each sees the other's text", async () => {
    const rep = await signIn(browser, a.url, emails.rep1, PASSWORD);
    const mgr = await signIn(browser, b.url, emails.manager, PASSWORD);
    try {
      for (const p of [rep.page, mgr.page]) {
        await p.goto(p.url().split('#')[0] + '#/deals/' + deals.rep1.id);
        await p.getByTestId('deal-title').waitFor();
        await p.getByTestId('note-status').getByText('Live').waitFor({ timeout: 15_000 });
      }
      const repEditor = rep.page.getByTestId('note-editor');
      const mgrEditor = mgr.page.getByTestId('note-editor');
      await repEditor.click();
      await rep.page.keyboard.type('Budget approved by the CFO. ');
      await mgrEditor.getByText('Budget approved by the CFO.').waitFor({ timeout: 15_000 });
      await mgrEditor.click();
      await mgr.page.keyboard.press('ControlOrMeta+End');
      await mgr.page.keyboard.type('Manager: push for a Q3 close.');
      await repEditor.getByText('Manager: push for a Q3 close.', { exact: false }).waitFor({ timeout: 15_000 });
      for (const ed of [repEditor, mgrEditor]) {
        const text = await ed.textContent();
        expect(text).toContain('Budget approved by the CFO.');
        expect(text).toContain('Manager: push for a Q3 close.');
      }
      // Each sees the other as an editor of the note.
      await rep.page.getByTestId('note-editor-peer').getByText('manager').waitFor();
      await mgr.page.getByTestId('note-editor-peer').getByText('rep1').waitFor();
      // ...and the other's cursor, labelled with their name, inside the text.
      await repEditor.locator('.cm-ySelectionInfo', { hasText: 'manager' }).waitFor({ timeout: 15_000 });
      await mgrEditor.locator('.cm-ySelectionInfo', { hasText: 'rep1' }).waitFor({ timeout: 15_000 });
      await shot(rep.page, 'deal');
      expect(rep.errors).toEqual([]);
      expect(mgr.errors).toEqual([]);
    } finally {
      await rep.ctx.close();
      await mgr.ctx.close();
    }
  });

  it("the contact page pages its timeline, filters it, and shows a teammate's new activity live", async () => {
    const rep = await signIn(browser, a.url, emails.rep1, PASSWORD);
    try {
      await rep.page.goto(a.url + '/#/contacts/' + contact.id);
      await rep.page.getByTestId('contact-title').waitFor();
      const items = rep.page.getByTestId('timeline-item');
      await items.first().waitFor();
      // 25 activities in pages of 20: scrolling to the end loads the rest (infinite scroll), each once.
      await expect
        .poll(
          async () => {
            await items.last().scrollIntoViewIfNeeded();
            return items.count();
          },
          { timeout: 10_000 },
        )
        .toBe(25);
      expect(await rep.page.getByTestId('timeline-more').count()).toBe(0);
      await rep.page.getByTestId('timeline-filter').selectOption('CALL');
      await expect.poll(() => items.count(), { timeout: 10_000 }).toBe(12);

      // The manager logs a call on the rep's contact through the API (node B); it lands on the rep's page (node A).
      await rep.page.getByTestId('timeline-filter').selectOption('');
      await expect.poll(() => items.count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(20);
      const r = await org.manager.api.req('POST', '/activities', {
        type: 'CALL',
        contactId: contact.id,
        subject: 'Manager check-in call',
        completedAt: new Date().toISOString(),
      });
      expect(r.status).toBe(201);
      await items.first().getByText('Manager check-in call').waitFor({ timeout: 15_000 });

      // Logging from the page's own form.
      await rep.page.getByRole('radio', { name: 'Meeting' }).check();
      await rep.page.getByTestId('activity-form').getByLabel('Subject').fill('Onsite workshop');
      await rep.page.getByRole('button', { name: 'Log meeting' }).click();
      await items.first().getByText('Onsite workshop').waitFor();
      await shot(rep.page, 'contact');
      expect(rep.errors).toEqual([]);
    } finally {
      await rep.ctx.close();
    }
  });

  it('the inbox badge counts a task that becomes overdue and drops it when completed', async () => {
    const rep = await signIn(browser, a.url, emails.rep2, PASSWORD);
    try {
      const badge = rep.page.getByTestId('inbox-badge');
      expect(await badge.count()).toBe(0);
      const c = (await org.rep2.api.post('/contacts', { firstName: 'Omar', lastName: 'Haddad' })).body;
      const soon = new Date(Date.now() + 10_000).toISOString();
      const t = await org.rep2.api.post('/activities', { type: 'TASK', contactId: c.id, subject: 'Call Omar back', scheduledAt: soon });
      expect(t.status).toBe(201);
      await org.rep2.api.post('/activities', {
        type: 'TASK',
        contactId: c.id,
        subject: 'Send the proposal',
        scheduledAt: new Date(Date.now() + 86400_000).toISOString(),
      });
      await rep.page.goto(a.url + '/#/inbox');
      await rep.page.getByTestId('inbox-upcoming').getByText('Send the proposal').waitFor({ timeout: 15_000 });
      // First upcoming, then overdue once its due time passes (the client's clock, or the server's overdue push).
      await rep.page.getByTestId('inbox-upcoming').getByText('Call Omar back').waitFor({ timeout: 8_000 });
      await badge.getByText('1').waitFor({ timeout: 20_000 });
      await rep.page.getByTestId('inbox-overdue').getByText('Call Omar back').waitFor();
      await shot(rep.page, 'inbox');

      // Reschedule in place: "next week" moves the upcoming task's due time.
      const proposal = rep.page.locator('[data-testid=inbox-task]', { hasText: 'Send the proposal' });
      await proposal.getByRole('button', { name: 'Reschedule' }).click();
      await proposal.getByRole('button', { name: 'Next week' }).click();
      await proposal.getByRole('button', { name: 'Save' }).click();
      await proposal.getByRole('button', { name: 'Reschedule' }).waitFor();
      const tasks = (await org.rep2.api.get('/inbox')).body.upcoming;
      const due = Date.parse(tasks.find((x: any) => x.subject === 'Send the proposal').scheduledAt);
      expect(due).toBeGreaterThan(Date.now() + 5 * 86400_000);

      await rep.page.getByRole('button', { name: 'Complete Call Omar back' }).click();
      await badge.waitFor({ state: 'detached', timeout: 15_000 });
      expect((await org.rep2.api.get(`/activities/${t.body.id}`)).body.completedAt).not.toBeNull();

      // An overdue task created elsewhere (API, other node) raises the badge live; completing it elsewhere lowers it.
      const late = await org.rep2.api.post('/activities', {
        type: 'TASK',
        contactId: c.id,
        subject: 'Chase signature',
        scheduledAt: new Date(Date.now() - 3600_000).toISOString(),
      });
      await badge.getByText('1').waitFor({ timeout: 15_000 });
      await org.rep2.api.patch(`/activities/${late.body.id}`, { completed: true });
      await badge.waitFor({ state: 'detached', timeout: 15_000 });
      expect(rep.errors).toEqual([]);
    } finally {
      await rep.ctx.close();
    }
  });

  it('a deal reassigned away from its viewer says so (not "deleted"), and its co-edited note survives for the new owner', async () => {
    const rep = await signIn(browser, a.url, emails.rep2, PASSWORD);
    try {
      await rep.page.goto(a.url + '/#/deals/' + deals.rep2.id);
      await rep.page.getByTestId('note-status').getByText('Live').waitFor({ timeout: 15_000 });
      await rep.page.getByTestId('note-editor').click();
      await rep.page.keyboard.type('Champion is the VP of Ops.');
      // Let the note reach the server before the deal changes hands.
      await expect
        .poll(async () => (await org.rep2.api.get(`/deals/${deals.rep2.id}`)).body.notePreview, { timeout: 15_000 })
        .toContain('Champion is the VP of Ops.');
      expect((await org.admin.api.patch(`/deals/${deals.rep2.id}`, { ownerId: org.solo.id })).status).toBe(200);
      await rep.page.getByText('You no longer have access to this deal: it was reassigned to solo.').waitFor({ timeout: 15_000 });
      expect(await rep.page.getByText('This deal was deleted').count()).toBe(0);
      expect(rep.errors).toEqual([]);
    } finally {
      await rep.ctx.close();
    }
    const soloEmail = (await org.solo.api.get('/me')).body.email;
    const solo = await signIn(browser, b.url, soloEmail, PASSWORD);
    try {
      await solo.page.goto(b.url + '/#/deals/' + deals.rep2.id);
      await solo.page.getByTestId('note-editor').getByText('Champion is the VP of Ops.').waitFor({ timeout: 15_000 });
    } finally {
      await solo.ctx.close();
    }
  });

  it('a session survives a reload and sign-out ends it', async () => {
    const rep = await signIn(browser, a.url, emails.rep1, PASSWORD);
    try {
      await rep.page.reload();
      await rep.page.getByTestId('me-name').getByText('rep1').waitFor();
      await rep.page.getByRole('button', { name: 'Sign out' }).click();
      await rep.page.getByRole('button', { name: 'Sign in' }).waitFor();
      await rep.page.reload();
      await rep.page.getByRole('button', { name: 'Sign in' }).waitFor();
    } finally {
      await rep.ctx.close();
    }
  });
});
