import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, REDIS_URL } from '../helpers/db.js';
import { createOrg, type Org } from '../helpers/api.js';
import { startNode, type TestNode } from '../helpers/server.js';
import { until } from '../notes/helpers.js';
import { connect, type LiveClient } from '../realtime/live-client.js';
import { realtimeExtension } from '../../server/realtime/realtime.extension.js';
import { jobsExtension } from '../../server/jobs/jobs.extension.js';
import type { JobKind } from '../../server/jobs/job.js';
import { rows } from '../../server/db/sql.js';

// Jobs across two nodes: the test kinds run only on node B, while the starter's socket is on node A.
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let a: TestNode;
let b: TestNode;
let org: Org;
let stranger: Org;
const jobsB = jobsExtension({ pollSeconds: 0.5, kinds: [] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const counting: JobKind<{ steps: number; stepMs: number }> = {
  kind: 'test-count',
  actor: 'reindex',
  async run(d, job) {
    job.progress({ total: d.steps, done: 0 });
    for (let i = 1; i <= d.steps; i++) {
      await sleep(d.stepMs);
      job.progress({ done: i, failed: i === 2 ? 1 : undefined });
    }
  },
};
let flakyRuns = 0;
const flaky: JobKind<Record<string, never>> = {
  kind: 'test-flaky',
  actor: 'reindex',
  retryLimit: 2,
  retryDelaySeconds: 1,
  async run(_d, job) {
    flakyRuns++;
    job.progress({ total: 1 });
    if (job.attempt === 1) throw new Error('first attempt fails');
    job.progress({ done: 1 });
  },
};

beforeAll(async () => {
  db = await createTestDatabase();
  a = await startNode({
    databaseUrl: db.url,
    redisUrl: REDIS_URL,
    extensions: () => [realtimeExtension({ overdueEveryMs: 0 }), jobsExtension({ pollSeconds: 0.5 })],
  });
  b = await startNode({ databaseUrl: db.url, redisUrl: REDIS_URL, extensions: () => [realtimeExtension({ overdueEveryMs: 0 }), jobsB] });
  await jobsB.jobs()!.define(counting);
  await jobsB.jobs()!.define(flaky);
  org = await createOrg(a.url, 'jobs');
  stranger = await createOrg(a.url, 'jobs-other');
  org.tenantId = (await rows(a.pulse.wp.read(), 'select tenant_id from users where id = ?', [org.admin.id]))[0].tenant_id;
}, 60_000);
afterAll(async () => {
  await b?.close();
  await a?.close();
  await db?.drop();
});

const progressOf = (c: LiveClient, id: string) => c.events.filter((e) => e.type === 'job.progress' && e.data.id === id);

describe('background jobs', () => {
  it('pushes job.progress to the starter on another node at least once a second, ending with the GET body', async () => {
    const sock = await connect(a.url, { token: org.rep1.token });
    const watcher = await connect(a.url, { token: org.rep2.token });
    try {
      const id = await jobsB.jobs()!.enqueue({ tenantId: org.tenantId, userId: org.rep1.id }, 'test-count', { steps: 5, stepMs: 700 });
      const final = await sock.untilEvent((e) => e.type === 'job.progress' && e.data.id === id && e.data.status === 'done');
      const pushes = progressOf(sock, id);
      expect(pushes[0].data.status).toBe('running');
      expect(pushes[0].kind).toBe('notice');
      expect(pushes[0].actor).toEqual({ kind: 'system', id: null, name: 'reindex' });
      // While it ran (~3.5 s): one push a second or more often, never a gap much over a second.
      const times = pushes.map((p) => Date.parse(p.at));
      const gaps = times.slice(1).map((t, i) => t - times[i]);
      expect(pushes.length).toBeGreaterThanOrEqual(4);
      expect(Math.max(...gaps)).toBeLessThan(1500);
      expect(pushes.filter((p) => p.data.status === 'running').some((p) => p.data.done > 0 && p.data.done < 5)).toBe(true);
      const got = await org.rep1.api.get(`/jobs/${id}`);
      expect(got.status).toBe(200);
      expect(got.body).toEqual({ id, kind: 'test-count', status: 'done', total: 5, done: 5, failed: 1, error: null });
      expect(final.data).toEqual(got.body);
      // Only the starter is told.
      await sleep(300);
      expect(progressOf(watcher, id)).toEqual([]);
    } finally {
      sock.close();
      watcher.close();
    }
  }, 30_000);

  it("is visible to the starter and the tenant's admins; everyone else gets 404", async () => {
    const id = await jobsB.jobs()!.enqueue({ tenantId: org.tenantId, userId: org.rep1.id }, 'test-count', { steps: 1, stepMs: 10 });
    expect((await org.rep1.api.get(`/jobs/${id}`)).status).toBe(200);
    expect((await org.admin.api.get(`/jobs/${id}`)).body).toMatchObject({ id, kind: 'test-count' });
    for (const u of [org.rep2, org.manager, stranger.admin, stranger.rep1]) {
      const r = await u.api.get(`/jobs/${id}`);
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('NOT_FOUND');
    }
    expect((await org.rep1.api.get('/jobs/not-a-uuid')).status).toBe(404);
    expect((await org.rep1.api.get(`/jobs/${crypto.randomUUID()}`)).status).toBe(404);
  });

  it('retries a failed run: the starter sees the error and the job queued again, then done', async () => {
    const sock = await connect(a.url, { token: org.rep1.token });
    try {
      const id = await jobsB.jobs()!.enqueue({ tenantId: org.tenantId, userId: org.rep1.id }, 'test-flaky', {});
      await sock.untilEvent((e) => e.type === 'job.progress' && e.data.id === id && e.data.status === 'done');
      const statuses = progressOf(sock, id).map((p) => p.data.status);
      expect(statuses[0]).toBe('running');
      expect(statuses).toContain('queued');
      expect(statuses.at(-1)).toBe('done');
      expect(progressOf(sock, id).find((p) => p.data.status === 'queued')!.data.error).toBe('first attempt fails');
      expect(flakyRuns).toBe(2);
      expect((await org.rep1.api.get(`/jobs/${id}`)).body).toMatchObject({ status: 'done', done: 1, error: null });
      const [row] = await rows(a.pulse.wp.read(), 'select attempts from jobs where id = ?', [id]);
      expect(row.attempts).toBe(2);
    } finally {
      sock.close();
    }
  }, 30_000);

  it('builds a custom field index as a job: jobId in the create and patch responses, GET /api/jobs/:id reports it', async () => {
    const c = await org.admin.api.post('/custom-fields', { entityType: 'CONTACT', fieldName: 'tier', fieldType: 'TEXT', indexed: true });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ fieldName: 'tier', indexed: true });
    expect(typeof c.body.jobId).toBe('string');
    await until(async () => (await org.admin.api.get(`/jobs/${c.body.jobId}`)).body.status === 'done', 'the index job to finish');
    expect((await org.admin.api.get(`/jobs/${c.body.jobId}`)).body).toEqual({
      id: c.body.jobId,
      kind: 'custom-field-index',
      status: 'done',
      total: 1,
      done: 1,
      failed: 0,
      error: null,
    });
    const idx = await rows(
      a.pulse.wp.read(),
      `select i.indisvalid from pg_index i join pg_class c on c.oid = i.indexrelid where c.relname like 'cf_%tier'`,
    );
    expect(idx).toEqual([{ indisvalid: true }]);
    const plain = await org.admin.api.post('/custom-fields', { entityType: 'DEAL', fieldName: 'plain', fieldType: 'TEXT' });
    expect(plain.body.jobId).toBeNull();
    const p = await org.admin.api.patch(`/custom-fields/${plain.body.id}`, { indexed: true });
    expect(p.status).toBe(200);
    await until(async () => (await org.admin.api.get(`/jobs/${p.body.jobId}`)).body.status === 'done', 'the patch index job to finish');
    expect((await org.rep1.api.get(`/jobs/${p.body.jobId}`)).status).toBe(404);
  }, 30_000);
});
