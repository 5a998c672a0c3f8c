import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createTestDatabase } from '../helpers/db.js';
import { startNode, type TestNode } from '../helpers/server.js';
import { createOrg, type Org } from '../helpers/api.js';
import { defaultExtensions } from '../../server/extensions.js';
import { launch, signIn, shot } from './browser.js';

/** Admin set-up, typed custom fields on the deal page, validation with the shared zod schemas, lists. */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let node: TestNode;
let org: Org;
let browser: Browser;
const PASSWORD = 'correct horse battery';
const email = async (who: 'admin' | 'rep1' | 'rep2') => (await org[who].api.get('/me')).body.email as string;

beforeAll(async () => {
  db = await createTestDatabase();
  node = await startNode({ databaseUrl: db.url, extensions: defaultExtensions });
  org = await createOrg(node.url, 'forms');
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await node?.close();
  await db?.drop();
});

describe('forms in a real browser', () => {
  it('an admin defines custom fields; a rep edits them by type on the deal page; stale saves are refused', async () => {
    const admin = await signIn(browser, node.url, await email('admin'), PASSWORD);
    try {
      await admin.page.getByRole('link', { name: 'Admin' }).click();
      await admin.page.getByRole('tab', { name: 'Custom fields' }).click();
      const form = admin.page.getByRole('form', { name: 'Add custom field' });
      const add = async (name: string, type: string, options?: string) => {
        await form.getByLabel('Field name').fill(name);
        await form.getByLabel('Type').selectOption(type);
        if (options) await form.getByLabel('Options (comma separated)').fill(options);
        await form.getByRole('button', { name: 'Add field' }).click();
        await admin.page.getByRole('cell', { name, exact: true }).waitFor();
      };
      // The shared schema rejects a bad name before any request.
      await form.getByLabel('Field name').fill('Deal Type');
      await form.getByRole('button', { name: 'Add field' }).click();
      await form.getByText('lower-case letters').waitFor();
      await add('deal_type', 'SELECT', 'New business, Upsell, Renewal');
      await add('competitors', 'MULTI_SELECT', 'Acme, Globex');
      await add('kickoff', 'DATE');
      await add('seats', 'NUMBER');
      await shot(admin.page, 'admin');

      // Pipelines: move "Qualified" above "Lead" and change its win probability; the board follows.
      await admin.page.getByRole('tab', { name: 'Pipelines' }).click();
      await admin.page.getByRole('button', { name: 'Move Qualified up' }).click();
      await admin.page.getByLabel('Win probability of Qualified').fill('30');
      await admin.page.getByRole('button', { name: 'Save pipeline' }).click();
      await admin.page.getByText('Pipeline saved.').waitFor();
      const p = (await org.admin.api.get(`/pipelines/${org.pipelineId}`)).body;
      expect(p.stages.slice(0, 2).map((s: any) => [s.name, s.winProbability])).toEqual([
        ['Qualified', 30],
        ['Lead', 10],
      ]);
      await admin.page.getByRole('link', { name: 'Pipeline' }).click();
      await expect
        .poll(async () => (await admin.page.getByTestId('stage-column').getByRole('heading').allTextContents()).slice(0, 2))
        .toEqual(['Qualified', 'Lead']);
      expect(admin.errors).toEqual([]);
    } finally {
      await admin.ctx.close();
    }

    const deal = (await org.rep1.api.post('/deals', { name: 'Hooli seats', pipelineId: org.pipelineId, amount: '1000' })).body;
    const rep = await signIn(browser, node.url, await email('rep1'), PASSWORD);
    try {
      await rep.page.goto(node.url + '/#/deals/' + deal.id);
      await rep.page.getByTestId('deal-title').waitFor();
      await rep.page.getByLabel('Amount').fill('12.345');
      await rep.page.getByRole('button', { name: 'Save changes' }).click();
      await rep.page.getByText('must be a decimal amount with at most 2 decimals').waitFor();
      await rep.page.getByLabel('Amount').fill('2500.50');
      await rep.page.getByTestId('cf-deal_type').selectOption('Upsell');
      await rep.page.getByTestId('cf-competitors').getByLabel('Globex').check();
      await rep.page.getByTestId('cf-kickoff').fill('2031-02-03');
      await rep.page.getByTestId('cf-seats').fill('40');
      await rep.page.getByTestId('cf-seats').blur();
      await rep.page.getByRole('button', { name: 'Save changes' }).click();
      await rep.page.getByTestId('deal-notice').getByText('Saved.').waitFor();
      const saved = (await org.rep1.api.get(`/deals/${deal.id}`)).body;
      expect(saved.amount).toBe('2500.50');
      expect(saved.customData).toEqual({ deal_type: 'Upsell', competitors: ['Globex'], kickoff: '2031-02-03', seats: 40 });

      // Someone else saves while I am editing: my save is refused and I see their version.
      await rep.page.getByLabel('Name').fill('Hooli seats (mine)');
      expect((await org.manager.api.patch(`/deals/${deal.id}`, { name: 'Hooli seats (manager)' })).status).toBe(200);
      await rep.page.getByRole('button', { name: 'Save changes' }).click();
      await rep.page.getByTestId('deal-notice').getByText('Someone else saved this deal first').waitFor();
      await expect.poll(() => rep.page.getByLabel('Name').inputValue()).toBe('Hooli seats (manager)');
      expect((await org.rep1.api.get(`/deals/${deal.id}`)).body.name).toBe('Hooli seats (manager)');
      expect(rep.errors).toEqual([]);
    } finally {
      await rep.ctx.close();
    }
  });

  it('lists search as you type, page with "load more", and create records through validated forms', async () => {
    for (let i = 0; i < 30; i++)
      await org.rep1.api.post('/contacts', { firstName: `Person${String(i).padStart(2, '0')}`, lastName: i % 10 === 0 ? 'Zebrowski' : 'Stone' });
    const rep = await signIn(browser, node.url, await email('rep1'), PASSWORD);
    try {
      // A new deal from the board, validated with the shared schema first.
      await rep.page.getByRole('button', { name: 'New deal' }).click();
      const nd = rep.page.getByRole('form', { name: 'New deal' });
      await nd.getByLabel('Deal name').fill('Pied Piper pilot');
      await nd.getByLabel('Amount').fill('12,000');
      await nd.getByRole('button', { name: 'Create' }).click();
      await nd.getByText('must be a decimal amount').waitFor();
      await nd.getByLabel('Amount').fill('12000');
      await nd.getByLabel('Stage').selectOption({ label: 'Qualified' });
      await nd.getByRole('button', { name: 'Create' }).click();
      await rep.page
        .locator('[data-testid=stage-column]', { has: rep.page.getByRole('heading', { name: 'Qualified', exact: true }) })
        .getByText('Pied Piper pilot')
        .waitFor();
      expect((await org.rep1.api.get('/deals?q=Pied')).body.items.map((d: any) => d.amount)).toEqual(['12000.00']);

      await rep.page.getByRole('link', { name: 'Contacts' }).click();
      const rows = rep.page.getByTestId('contacts-table').locator('tbody tr');
      await expect.poll(() => rows.count()).toBe(25);
      await rep.page.getByRole('button', { name: 'Load more' }).click();
      await expect.poll(() => rows.count()).toBe(30);
      await rep.page.getByTestId('contacts-search').pressSequentially('zebro', { delay: 30 });
      await expect.poll(() => rows.count()).toBe(3);
      expect(await rows.allTextContents()).toEqual(Array(3).fill(expect.stringContaining('Zebrowski')));

      await rep.page.getByRole('button', { name: 'New contact' }).click();
      const form = rep.page.getByRole('form', { name: 'New contact' });
      await form.getByLabel('First name').fill('Dana');
      await form.getByLabel('Email').fill('not-an-email');
      await form.getByRole('button', { name: 'Create contact' }).click();
      await form.locator('.field-error').first().waitFor();
      await form.getByLabel('Email').fill('dana@hooli.test');
      await form.getByRole('button', { name: 'Create contact' }).click();
      await rep.page.getByTestId('contact-title').getByText('Dana').waitFor();

      await rep.page.getByRole('link', { name: 'Companies' }).click();
      await rep.page.getByRole('button', { name: 'New company' }).click();
      const co = rep.page.getByRole('form', { name: 'New company' });
      await co.getByLabel('Name').fill('Hooli');
      await co.getByLabel('Industry').fill('Software');
      await co.getByRole('button', { name: 'Save' }).click();
      await rep.page.getByTestId('companies-table').getByText('Hooli').waitFor();
      await rep.page.getByRole('button', { name: 'Edit Hooli' }).click();
      await rep.page.getByRole('form', { name: 'Edit company' }).getByLabel('Domain').fill('hooli.test');
      await rep.page.getByRole('form', { name: 'Edit company' }).getByRole('button', { name: 'Save' }).click();
      await rep.page.getByTestId('companies-table').getByText('hooli.test').waitFor();
      await shot(rep.page, 'companies');
      expect(rep.errors).toEqual([]);
    } finally {
      await rep.ctx.close();
    }
  });

  it('links a deal to a contact and a company and a contact to a company through the pickers', async () => {
    const rep1 = org.rep1.api;
    const erlich = (await rep1.post('/contacts', { firstName: 'Erlich', lastName: 'Bachman', email: 'erlich@aviato.test' })).body;
    const jared = (await rep1.post('/contacts', { firstName: 'Jared', lastName: 'Dunn', jobTitle: 'COO' })).body;
    const aviato = (await rep1.post('/companies', { name: 'Aviato', domain: 'aviato.test' })).body;
    const raviga = (await rep1.post('/companies', { name: 'Raviga' })).body;
    // A teammate's company: not rep1's to see, so not offered.
    await org.rep2.api.post('/companies', { name: 'Ravenholm' });
    const deal = (await rep1.post('/deals', { name: 'Aviato rebrand', pipelineId: org.pipelineId })).body;

    const rep = await signIn(browser, node.url, await email('rep1'), PASSWORD);
    try {
      const { page } = rep;
      await page.goto(node.url + '/#/deals/' + deal.id);
      await page.getByTestId('deal-title').waitFor();
      const details = page.getByRole('form', { name: 'Deal fields' });
      const contactBox = details.getByRole('combobox', { name: 'Contact', exact: true });
      const companyBox = details.getByRole('combobox', { name: 'Company', exact: true });
      // Suggestions only: the form's <select>s have options too.
      const contacts = details.getByRole('listbox', { name: 'Contact suggestions' });
      const companies = details.getByRole('listbox', { name: 'Company suggestions' });

      // Keyboard only: type, the first match is highlighted, Enter picks it (and does not submit the form).
      await contactBox.pressSequentially('erl', { delay: 30 });
      await contacts.getByRole('option', { name: /Erlich Bachman/ }).waitFor();
      await contactBox.press('Enter');
      await details.getByRole('link', { name: 'Erlich Bachman' }).waitFor();
      expect(await page.getByTestId('deal-notice').count()).toBe(0);
      // Only companies rep1 can see are offered.
      await companyBox.pressSequentially('rav', { delay: 30 });
      await companies.getByRole('option', { name: /Raviga/ }).waitFor();
      expect(await companies.getByRole('option').allTextContents()).toEqual(['Raviga']);
      await shot(page, 'deal-pickers');
      await companyBox.fill('');
      await companyBox.pressSequentially('avi', { delay: 30 });
      await companies.getByRole('option', { name: /Aviato/ }).click();
      await details.getByText('Linked:').nth(1).waitFor();
      await details.getByRole('button', { name: 'Save changes' }).click();
      await page.getByTestId('deal-notice').getByText('Saved.').waitFor();
      expect((await rep1.get(`/deals/${deal.id}`)).body).toMatchObject({ contactId: erlich.id, companyId: aviato.id, version: 2 });

      // After a reload the links show, the contact as a link to its page; change one with the arrow keys, clear the other.
      await page.reload();
      await details.getByRole('link', { name: 'Erlich Bachman' }).waitFor();
      await details.getByText('Aviato').waitFor();
      await contactBox.focus();
      await contactBox.press('ArrowDown');
      await contacts.getByRole('option', { name: /Jared Dunn/ }).waitFor();
      const names = await contacts.getByRole('option').allTextContents();
      for (let i = 0; i < names.findIndex((n) => n.includes('Jared Dunn')); i++) await contactBox.press('ArrowDown');
      await contactBox.press('Enter');
      await details.getByRole('link', { name: 'Jared Dunn' }).waitFor();
      await details.getByRole('button', { name: 'Clear company link' }).click();
      await expect.poll(() => companyBox.evaluate((el) => el === document.activeElement)).toBe(true);
      await details.getByRole('button', { name: 'Save changes' }).click();
      await page.getByTestId('deal-notice').getByText('Saved.').waitFor();
      expect((await rep1.get(`/deals/${deal.id}`)).body).toMatchObject({ contactId: jared.id, companyId: null, version: 3 });

      // The contact's page: give Jared a company the same way.
      await details.getByRole('link', { name: 'Jared Dunn' }).click();
      await page.getByTestId('contact-title').getByText('Jared').waitFor();
      const contactForm = page.getByRole('form', { name: 'Contact details' });
      const coBox = contactForm.getByRole('combobox', { name: 'Company', exact: true });
      await coBox.pressSequentially('ravi', { delay: 30 });
      await contactForm
        .getByRole('listbox', { name: 'Company suggestions' })
        .getByRole('option', { name: /Raviga/ })
        .waitFor();
      await coBox.press('Enter');
      await contactForm.getByRole('button', { name: 'Save changes' }).click();
      await page.getByRole('status').getByText('Saved.').waitFor();
      expect((await rep1.get(`/contacts/${jared.id}`)).body.companyId).toBe(raviga.id);
      await page.reload();
      await page.getByText('COO at Raviga').waitFor();
      await contactForm.getByText('Raviga').waitFor();
      expect(rep.errors).toEqual([]);
    } finally {
      await rep.ctx.close();
    }
  });

  it('a contact shared read-only shows as read-only to the teammate, note included', async () => {
    const c = (await org.rep1.api.post('/contacts', { firstName: 'Lena', lastName: 'Berg' })).body;
    const owner = await signIn(browser, node.url, await email('rep1'), PASSWORD);
    try {
      await owner.page.goto(node.url + '/#/contacts/' + c.id);
      await owner.page.getByTestId('contact-title').waitFor();
      await owner.page.getByLabel('Teammate').selectOption({ label: 'solo' });
      await owner.page.getByLabel('Permission').selectOption('READ');
      await owner.page.getByRole('button', { name: 'Share', exact: true }).click();
      await owner.page.getByTestId('shares').getByText('solo').waitFor();
      await owner.page.getByTestId('note-status').getByText('Live').waitFor({ timeout: 15_000 });
      await owner.page.getByTestId('note-editor').click();
      await owner.page.keyboard.type('Prefers email over calls.');
    } finally {
      await owner.ctx.close();
    }
    const soloEmail = (await org.solo.api.get('/me')).body.email;
    const mate = await signIn(browser, node.url, soloEmail, PASSWORD);
    try {
      await mate.page.goto(node.url + '/#/contacts/' + c.id);
      await mate.page.getByText('shared with you read-only').waitFor();
      expect(await mate.page.getByTestId('activity-form').count()).toBe(0);
      await mate.page.getByTestId('note-editor').getByText('Prefers email over calls.').waitFor({ timeout: 15_000 });
      await mate.page.getByTestId('note-readonly').waitFor();
      expect(await mate.page.getByTestId('note-editor').getAttribute('contenteditable')).toBe('false');
      expect(mate.errors).toEqual([]);
    } finally {
      await mate.ctx.close();
    }
  });

  it('signs up a new workspace through the form and lands on its empty board', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    try {
      await page.goto(node.url + '/');
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      // Demo logins are listed only on a node that seeds the demo tenant; this one does not.
      expect((await org.api.get('/auth/demo')).body).toEqual({ demo: false });
      expect(await page.getByTestId('demo-logins').count()).toBe(0);
      await page.getByRole('link', { name: 'Create a workspace' }).click();
      await page.getByLabel('Workspace name').fill('Northwind');
      await page.getByLabel('Your name').fill('Nora North');
      await page.getByLabel('Email').fill(`nora.${Date.now()}@northwind.test`);
      await page.getByLabel('Password').fill('short');
      await page.getByRole('button', { name: 'Create workspace' }).click();
      await page.locator('.field-error', { hasText: /Too small.*8/ }).waitFor();
      await page.getByLabel('Password').fill('a long enough password');
      await page.getByRole('button', { name: 'Create workspace' }).click();
      await page.getByTestId('me-name').getByText('Nora North').waitFor();
      await page.getByRole('link', { name: 'Admin' }).waitFor();
      await expect.poll(() => page.getByTestId('stage-column').count()).toBeGreaterThan(1);
      expect(await page.getByTestId('deal-card').count()).toBe(0);
    } finally {
      await ctx.close();
    }
  });
});
