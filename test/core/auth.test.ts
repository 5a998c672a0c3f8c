import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db.js';
import { startNode, type TestNode } from '../helpers/server.js';
import { Api, createOrg, type Org } from '../helpers/api.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let node: TestNode;
let org: Org;

beforeAll(async () => {
  db = await createTestDatabase();
  node = await startNode({ databaseUrl: db.url, create: { loginLimit: { max: 5, windowMs: 60_000 } } });
  org = await createOrg(node.url);
});
afterAll(async () => {
  await node?.close();
  await db?.drop();
});

describe('auth', () => {
  it('signs up a workspace: 201 with a token, an ADMIN user and a default pipeline', async () => {
    const api = new Api(node.url);
    const r = await api.post('/auth/signup', { tenantName: 'Acme', name: 'Ann', email: 'Ann@Acme.test', password: 'long enough pw' });
    expect(r.status).toBe(201);
    expect(r.body.user).toMatchObject({ name: 'Ann', email: 'ann@acme.test', role: 'ADMIN', managerId: null });
    expect(typeof r.body.token).toBe('string');
    const p = await api.as(r.body.token).get('/pipelines');
    expect(p.body[0].stages.map((s: any) => [s.name, s.outcome])).toEqual([
      ['Lead', 'OPEN'],
      ['Qualified', 'OPEN'],
      ['Proposal', 'OPEN'],
      ['Negotiation', 'OPEN'],
      ['Closed Won', 'WON'],
      ['Closed Lost', 'LOST'],
    ]);
  });

  it('stores passwords as argon2id hashes', async () => {
    const em = node.pulse.wp.read();
    const r: any[] = await em.execute('select password_hash from users limit 3');
    for (const u of r) expect(u.password_hash).toMatch(/^\$argon2id\$/);
  });

  it('logs in with the right password (case-insensitive email) and sets an httpOnly cookie', async () => {
    const r = await fetch(node.url + '/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ANN@acme.test', password: 'long enough pw' }),
    });
    expect(r.status).toBe(200);
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toMatch(/pulse_session=/);
    expect(cookie.toLowerCase()).toContain('httponly');
    const me = await fetch(node.url + '/api/me', { headers: { cookie: cookie.split(';')[0] } });
    expect(me.status).toBe(200);
    expect((await me.json()).email).toBe('ann@acme.test');
  });

  it('answers 401 for a wrong password, an unknown email, and missing or bad tokens', async () => {
    const api = new Api(node.url);
    expect((await api.post('/auth/login', { email: 'ann@acme.test', password: 'wrong password' })).status).toBe(401);
    const unknown = await api.post('/auth/login', { email: 'nobody@acme.test', password: 'whatever1' });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe('INVALID_CREDENTIALS');
    expect((await api.get('/contacts')).status).toBe(401);
    const bad = await api.as('not-a-token').get('/contacts');
    expect(bad.status).toBe(401);
    expect(bad.body).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String), details: null } });
  });

  it('rate-limits repeated logins for one account', async () => {
    const api = new Api(node.url);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await api.post('/auth/login', { email: 'victim@acme.test', password: 'guess' + i })).status);
    expect(statuses.slice(0, 5).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(5)).toEqual([429, 429]);
  });

  it('logout ends the session', async () => {
    const api = new Api(node.url);
    const l = await api.post('/auth/login', { email: 'ann@acme.test', password: 'long enough pw' });
    const a = api.as(l.body.token);
    expect((await a.get('/me')).status).toBe(200);
    expect((await a.post('/auth/logout')).status).toBe(204);
    expect((await a.get('/me')).status).toBe(401);
  });

  it('only admins add users; a rep cannot promote themself', async () => {
    const r = await org.rep1.api.post('/users', { name: 'X', email: 'x@t.test', password: 'long enough pw', role: 'ADMIN' });
    expect(r.status).toBe(403);
    const p = await org.rep1.api.patch(`/users/${org.rep1.id}`, { role: 'ADMIN' });
    expect(p.status).toBe(403);
    const me = await org.rep1.api.get('/me');
    expect(me.body.role).toBe('REP');
  });

  it('refuses duplicate user emails, unknown managers and reporting cycles', async () => {
    const dup = await org.admin.api.post('/users', {
      name: 'Again',
      email: (await org.rep1.api.get('/me')).body.email.toUpperCase(),
      password: 'long enough pw',
      role: 'REP',
    });
    expect(dup.status).toBe(409);
    const badMgr = await org.admin.api.post('/users', {
      name: 'Y',
      email: 'y@t.test',
      password: 'long enough pw',
      role: 'REP',
      managerId: '00000000-0000-4000-8000-000000000000',
    });
    expect(badMgr.status).toBe(422);
    const cycle = await org.admin.api.patch(`/users/${org.manager.id}`, { managerId: org.rep1.id });
    expect(cycle.status).toBe(422);
    expect(cycle.body.error.code).toBe('INVALID_MANAGER');
  });
});
