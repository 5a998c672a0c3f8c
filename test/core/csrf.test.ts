import { describe, expect, it } from 'vitest';
import { useNodeWithOrg } from '../helpers/server.js';

/**
 * Cookie-authenticated writes must come from our own origin (Origin, else Sec-Fetch-Site, else
 * Referer); bearer-token requests are not affected; reads are not affected; login and signup refuse
 * a foreign Origin even without a cookie.
 */
const ctx = useNodeWithOrg('csrf');
const EVIL = 'https://evil.example';

async function call(method: string, path: string, opts: { cookie?: string; bearer?: string; headers?: Record<string, string>; body?: unknown } = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.cookie) headers.cookie = `pulse_session=${encodeURIComponent(opts.cookie)}`;
  if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(`${ctx.node.url}/api${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    redirect: 'manual',
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null, setCookie: r.headers.get('set-cookie') };
}

const expectRefused = (r: { status: number; body: any }) => {
  expect(r.status).toBe(403);
  expect(r.body).toEqual({ error: { code: 'FORBIDDEN', message: expect.any(String), details: null } });
};

async function contactCount(): Promise<number> {
  const r: any[] = await ctx.node.pulse.wp.read().execute('select count(*)::int as n from contacts');
  return r[0].n;
}

describe('CSRF: cookie-authenticated writes', () => {
  const own = () => ctx.node.url;

  it('refuses a foreign Origin and Origin: null on POST, PATCH, PUT and DELETE, and writes nothing', async () => {
    const token = ctx.org.rep1.token;
    const c = await ctx.org.rep1.api.post('/contacts', { firstName: 'Target' });
    const before = await contactCount();
    for (const origin of [EVIL, 'null', 'http://127.0.0.1.evil.example', 'not a url']) {
      expectRefused(await call('POST', '/contacts', { cookie: token, headers: { origin }, body: { firstName: 'Forged' } }));
      expectRefused(await call('PATCH', `/contacts/${c.body.id}`, { cookie: token, headers: { origin }, body: { firstName: 'Forged' } }));
      expectRefused(await call('PUT', `/contacts/${c.body.id}`, { cookie: token, headers: { origin }, body: { firstName: 'Forged' } }));
      expectRefused(await call('DELETE', `/contacts/${c.body.id}`, { cookie: token, headers: { origin } }));
      expectRefused(
        await call('POST', `/contacts/${c.body.id}/shares`, {
          cookie: token,
          headers: { origin },
          body: { userId: ctx.org.rep2.id, permission: 'WRITE' },
        }),
      );
    }
    expect(await contactCount()).toBe(before);
    expect((await ctx.org.rep1.api.get(`/contacts/${c.body.id}`)).body.firstName).toBe('Target');
    expect((await ctx.org.rep1.api.get(`/contacts/${c.body.id}/shares`)).body).toEqual([]);
  });

  it('refuses a cross-origin logout and keeps the session', async () => {
    const token = ctx.org.rep2.token;
    expectRefused(await call('POST', '/auth/logout', { cookie: token, headers: { origin: EVIL } }));
    expectRefused(await call('POST', '/auth/logout', { cookie: token, headers: { 'sec-fetch-site': 'cross-site' } }));
    expect((await call('GET', '/me', { cookie: token })).status).toBe(200);
  });

  it('without Origin: Sec-Fetch-Site decides, then Referer; with neither it is not a browser and passes', async () => {
    const token = ctx.org.rep1.token;
    const body = { firstName: 'Fallback' };
    expectRefused(await call('POST', '/contacts', { cookie: token, body, headers: { 'sec-fetch-site': 'cross-site' } }));
    expectRefused(await call('POST', '/contacts', { cookie: token, body, headers: { 'sec-fetch-site': 'same-site' } }));
    // Sec-Fetch-Site wins over a Referer that claims to be ours.
    expectRefused(await call('POST', '/contacts', { cookie: token, body, headers: { 'sec-fetch-site': 'cross-site', referer: `${own()}/deals` } }));
    expect((await call('POST', '/contacts', { cookie: token, body, headers: { 'sec-fetch-site': 'same-origin' } })).status).toBe(201);
    expectRefused(await call('POST', '/contacts', { cookie: token, body, headers: { referer: `${EVIL}/page` } }));
    expectRefused(await call('POST', '/contacts', { cookie: token, body, headers: { referer: 'garbage' } }));
    expect((await call('POST', '/contacts', { cookie: token, body, headers: { referer: `${own()}/contacts` } })).status).toBe(201);
    expect((await call('POST', '/contacts', { cookie: token, body })).status).toBe(201);
  });

  it('accepts our own Origin, leaves reads alone, and never touches bearer-token requests', async () => {
    const token = ctx.org.rep1.token;
    expect((await call('POST', '/contacts', { cookie: token, headers: { origin: own() }, body: { firstName: 'Own' } })).status).toBe(201);
    expect((await call('GET', '/contacts', { cookie: token, headers: { origin: EVIL } })).status).toBe(200);
    expect((await call('POST', '/contacts', { bearer: token, headers: { origin: EVIL }, body: { firstName: 'Bearer' } })).status).toBe(201);
    // A bearer token wins over the cookie (as in authentication), so the pair is a bearer request.
    expect((await call('POST', '/contacts', { bearer: token, cookie: token, headers: { origin: 'null' }, body: { firstName: 'Both' } })).status).toBe(
      201,
    );
  });

  it('login and signup refuse a foreign Origin and set no cookie; same origin and non-browser clients sign in', async () => {
    const email = 'rep1.' + (await ctx.org.rep1.api.get('/me')).body.email.split('rep1.')[1];
    const creds = { email, password: 'correct horse battery' };
    for (const origin of [EVIL, 'null']) {
      const r = await call('POST', '/auth/login', { headers: { origin }, body: creds });
      expectRefused(r);
      expect(r.setCookie).toBeNull();
      expectRefused(
        await call('POST', '/auth/signup', {
          headers: { origin },
          body: { tenantName: 'Evil', name: 'E', email: `e${Date.now()}@evil.test`, password: 'correct horse battery' },
        }),
      );
    }
    expectRefused(await call('POST', '/auth/login', { headers: { 'sec-fetch-site': 'cross-site' }, body: creds }));
    const ok = await call('POST', '/auth/login', { headers: { origin: own() }, body: creds });
    expect(ok.status).toBe(200);
    expect(ok.setCookie).toMatch(/pulse_session=/);
    expect((await call('POST', '/auth/login', { body: creds })).status).toBe(200);
  });
});
