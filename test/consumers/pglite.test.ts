import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type TestNode } from '../helpers/server.js';
import { createOrg, type Org } from '../helpers/api.js';
import { until } from '../notes/helpers.js';
import { connect } from '../realtime/live-client.js';
import { defaultExtensions } from '../../server/extensions.js';
import { rows } from '../../server/db/sql.js';

// The embedded default (PGlite, one process) with the production extension list: the audit consumer
// and pg-boss jobs run on it too.
let dir: string;
let node: TestNode;
let org: Org;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-pglite-consumers-'));
  node = await startNode({ databaseUrl: null, dataDir: dir, extensions: (cfg) => defaultExtensions(cfg) });
  org = await createOrg(node.url, 'lite');
}, 180_000);
afterAll(async () => {
  await node?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('consumers and jobs on embedded PGlite', () => {
  it('the audit consumer records a deal patch field by field', async () => {
    const d = (await org.rep1.api.post('/deals', { name: 'Lite', pipelineId: org.pipelineId, amount: '5.00' })).body;
    expect((await org.rep1.api.patch(`/deals/${d.id}`, { amount: '7.50', version: d.version })).status).toBe(200);
    await until(async () => (await org.admin.api.get(`/audit?entityId=${d.id}`)).body.items?.length === 2, 'two audit entries', 20_000);
    const [upd] = (await org.admin.api.get(`/audit?entityId=${d.id}`)).body.items;
    expect(upd).toMatchObject({ type: 'deal.updated', changed: ['amount'], before: { amount: '5.00' }, after: { amount: '7.50' } });
    const health = await (await fetch(`${node.url}/api/health`)).json();
    expect(health.consumers.audit).toMatchObject({ enabled: true, failingTenants: 0 });
    expect(health.jobs.engine).toBe('pg-boss');
  }, 60_000);

  it('a custom field index job runs (pg-boss over the PGlite connection) and reports progress to the starter', async () => {
    const sock = await connect(node.url, { token: org.admin.token });
    try {
      const c = await org.admin.api.post('/custom-fields', { entityType: 'CONTACT', fieldName: 'lite_score', fieldType: 'NUMBER', indexed: true });
      expect(c.status).toBe(201);
      const done = await sock.untilEvent((e) => e.type === 'job.progress' && e.data.id === c.body.jobId && e.data.status === 'done');
      expect(done.data).toEqual({ id: c.body.jobId, kind: 'custom-field-index', status: 'done', total: 1, done: 1, failed: 0, error: null });
      expect((await org.admin.api.get(`/jobs/${c.body.jobId}`)).body.status).toBe('done');
      const idx = await rows(node.pulse.wp.read(), `select indexname from pg_indexes where indexname like 'cf_%lite_score'`);
      expect(idx).toHaveLength(1);
    } finally {
      sock.close();
    }
  }, 60_000);
});
