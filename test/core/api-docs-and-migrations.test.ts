import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, PG_BASE } from '../helpers/db.js';
import { startNode, type TestNode } from '../helpers/server.js';
import { createOrm } from '../../server/db/orm.js';
import { migrate } from '../../server/db/migrate.js';
import { createLogger } from '../../server/log.js';
import pg from 'pg';
import { Api } from '../helpers/api.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let node: TestNode;

beforeAll(async () => {
  db = await createTestDatabase();
  node = await startNode({ databaseUrl: db.url });
});
afterAll(async () => {
  await node?.close();
  await db?.drop();
});

describe('OpenAPI', () => {
  it('documents every route with request and response schemas from the shared zod schemas', async () => {
    const doc = (await new Api(node.url).get('/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    const ops = Object.entries(doc.paths).flatMap(([p, m]: any) => Object.keys(m).map((k) => `${k.toUpperCase()} ${p}`));
    for (const route of [
      'POST /auth/signup',
      'POST /auth/login',
      'GET /me',
      'POST /users',
      'PATCH /users/{id}',
      'GET /contacts',
      'POST /contacts',
      'GET /deals',
      'POST /deals/{id}/move',
      'GET /deals/{id}/history',
      'GET /contacts/{id}/timeline',
      'GET /deals/{id}/timeline',
      'GET /inbox',
      'POST /contacts/{id}/shares',
      'DELETE /contacts/{id}/shares/{userId}',
      'POST /custom-fields',
      'POST /pipelines',
      'GET /pipelines/{id}/board',
      'GET /health',
    ]) {
      // Paths are full URL paths under the server at '/' (see test/core/openapi.test.ts).
      expect(ops).toContain(route.replace(' /', ' /api/'));
    }
    const move = doc.paths['/api/deals/{id}/move'].post;
    expect(move.requestBody.content['application/json'].schema.required).toEqual(['stageId']);
    expect(doc.paths['/api/contacts'].get.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(['limit', 'cursor', 'q', 'ownerId']));
  });
});

describe('migrations', () => {
  it('several nodes starting at once against an empty database migrate it exactly once', async () => {
    const name = `pulse_t_mig_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: `${PG_BASE}/postgres` });
    await admin.connect();
    await admin.query(`create database ${name}`);
    try {
      const url = `${PG_BASE}/${name}`;
      const orms = await Promise.all([1, 2, 3].map(() => createOrm({ databaseUrl: url, poolMax: 2 })));
      await Promise.all(orms.map((o) => migrate(o, url, createLogger('silent'))));
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      const r = await c.query('select count(*)::int as n from mikro_orm_migrations');
      expect(r.rows[0].n).toBeGreaterThanOrEqual(1);
      const t = await c.query(`select count(*)::int as n from information_schema.tables where table_name = 'deals'`);
      expect(t.rows[0].n).toBe(1);
      await c.end();
      await Promise.all(orms.map((o) => o.close(true)));
    } finally {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});
