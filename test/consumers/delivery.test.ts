import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db.js';
import { createOrg, type Org } from '../helpers/api.js';
import { startNode, type TestNode } from '../helpers/server.js';
import { until } from '../notes/helpers.js';
import { consumersExtension, enabledConsumers } from '../../server/consumers/consumers.extension.js';
import { prune } from '../../server/realtime/outbox-queries.js';
import { auditConsumer } from '../../server/consumers/audit.consumer.js';
import { realtimeExtension } from '../../server/realtime/realtime.extension.js';
import type { Consumer } from '../../server/consumers/consumer.js';
import { rows, type Em } from '../../server/db/sql.js';

// At-least-once delivery, idempotent re-delivery, per-tenant failure isolation, and pruning that
// respects cursors, on one in-process node against real PostgreSQL.
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let node: TestNode;
let realtime: ReturnType<typeof realtimeExtension>;
let consumers: ReturnType<typeof consumersExtension>;
let good: Org;
let bad: Org;
const failing = new Set<string>();
let auditFailures = 0;

const em = () => node.pulse.wp.read();
const q = <T = any>(sql: string, p: unknown[] = []) => rows<T>(em(), sql, p);
const tenantOf = async (o: Org) => (await q('select tenant_id from users where id = ?', [o.admin.id]))[0].tenant_id as string;
const cursor = async (c: string, t: string) =>
  Number((await q('select last_seq from consumer_cursors where consumer = ? and tenant_id = ?', [c, t]))[0]?.last_seq ?? -1);
const seq = async (t: string) => Number((await q('select event_seq from tenants where id = ?', [t]))[0].event_seq);

beforeAll(async () => {
  db = await createTestDatabase();
  const real = auditConsumer();
  // The audit consumer, writing its rows on a separate autocommit connection and then failing the
  // first delivery: the rows stay, the cursor does not move, and the retry delivers the same events again.
  const flakyAudit: Consumer = {
    ...real,
    retryBaseMs: 150,
    async handle(events, ctx) {
      await real.handle(events, { ...ctx, em: em() as Em });
      if (auditFailures === 0) {
        auditFailures++;
        throw new Error('audit sink hiccup');
      }
    },
  };
  // Fails for as long as its tenant is in `failing`; other tenants must go on.
  const picky: Consumer = {
    name: 'picky',
    types: ['contact.created'],
    retryBaseMs: 100,
    maxRetryMs: 300,
    async handle(_events, ctx) {
      if (failing.has(ctx.tenantId)) throw new Error(`tenant ${ctx.tenantId} is broken`);
    },
  };
  realtime = realtimeExtension({ redisUrl: null, overdueEveryMs: 0, pruneEveryMs: 60 * 60_000 });
  const off: Consumer = {
    name: 'switched-off',
    types: 'all',
    enabled: false,
    async handle() {
      throw new Error('never runs');
    },
  };
  consumers = consumersExtension({ consumers: [flakyAudit, picky, off], pollMs: 200 });
  node = await startNode({ databaseUrl: db.url, extensions: () => [realtime, consumers] });
  good = await createOrg(node.url, 'good');
  bad = await createOrg(node.url, 'bad');
  good.tenantId = await tenantOf(good);
  bad.tenantId = await tenantOf(bad);
});
afterAll(async () => {
  await node?.close();
  await db?.drop();
});

describe('durable consumers', () => {
  it('a handler that throws once is retried: the cursor waits, the retry re-delivers, audit has no duplicates', async () => {
    for (let i = 0; i < 5; i++) await good.rep1.api.post('/contacts', { firstName: `G${i}` });
    const end = await seq(good.tenantId);
    await until(async () => (await cursor('audit', good.tenantId)) === end, 'audit to catch up after the retry', 15_000);
    expect(auditFailures).toBe(1);
    const facts = await q(`select seq from outbox_events where tenant_id = ? and kind = 'fact' order by seq`, [good.tenantId]);
    const audit = await q('select seq, count(*) over (partition by seq)::int as n from audit_log where tenant_id = ? order by seq', [good.tenantId]);
    expect(audit.map((r) => Number(r.seq))).toEqual(facts.map((r) => Number(r.seq)));
    expect(audit.every((r) => r.n === 1)).toBe(true);
    const h = (await (await fetch(`${node.url}/api/health`)).json()).consumers.audit;
    expect(h).toMatchObject({ enabled: true, lastError: 'audit sink hiccup', failingTenants: 0 });
    expect(typeof h.lastErrorAt).toBe('string');
  });

  it('a tenant whose batches fail keeps its cursor and backs off; other tenants go on; health shows lag and the error', async () => {
    failing.add(bad.tenantId);
    const stuckAt = await cursor('picky', bad.tenantId);
    await bad.rep1.api.post('/contacts', { firstName: 'Broken' });
    await good.rep1.api.post('/contacts', { firstName: 'Fine' });
    const goodEnd = await seq(good.tenantId);
    await until(async () => (await cursor('picky', good.tenantId)) === goodEnd, 'the healthy tenant to be consumed');
    await until(
      async () =>
        Number((await q(`select attempts from consumer_cursors where consumer = 'picky' and tenant_id = ?`, [bad.tenantId]))[0].attempts) >= 3,
      'retries with backoff',
    );
    expect(await cursor('picky', bad.tenantId)).toBe(stuckAt);
    const [c] = await q(
      `select attempts, last_error, retry_at > now() - interval '1 second' as scheduled from consumer_cursors where consumer = 'picky' and tenant_id = ?`,
      [bad.tenantId],
    );
    expect(c.last_error).toContain('is broken');
    expect(c.scheduled).toBe(true);
    const h = (await (await fetch(`${node.url}/api/health`)).json()).consumers.picky;
    expect(h.failingTenants).toBe(1);
    expect(h.maxLag).toBeGreaterThanOrEqual((await seq(bad.tenantId)) - stuckAt);
    expect(h.totalLag).toBeGreaterThanOrEqual(h.maxLag);
    expect(h.lastError).toContain('is broken');
    failing.delete(bad.tenantId);
    const badEnd = await seq(bad.tenantId);
    await until(async () => (await cursor('picky', bad.tenantId)) === badEnd, 'the tenant to recover');
    expect((await q(`select attempts from consumer_cursors where consumer = 'picky' and tenant_id = ?`, [bad.tenantId]))[0].attempts).toBe(0);
  });

  it("a consumer declaring startAt 'now' starts each tenant at its current seq; others start at 0", async () => {
    const got: number[] = [];
    const late: Consumer = {
      name: 'late',
      types: ['contact.created'],
      startAt: 'now',
      async handle(events) {
        got.push(...events.map((e) => e.seq));
      },
    };
    const from = await seq(good.tenantId);
    consumers.registry.register(late);
    await until(async () => (await cursor('late', good.tenantId)) >= from, 'the late consumer to get its cursor');
    expect(await cursor('late', good.tenantId)).toBe(from);
    const c = await good.rep1.api.post('/contacts', { firstName: 'After' });
    expect(c.status).toBe(201);
    await until(async () => (await cursor('late', good.tenantId)) === (await seq(good.tenantId)), 'the late consumer to catch up');
    expect(got).toHaveLength(1);
    expect(got[0]).toBeGreaterThan(from);
    expect(await cursor('audit', good.tenantId)).toBeGreaterThan(from);
    expect(await q(`select 1 from audit_log where tenant_id = ? and seq <= ?`, [good.tenantId, from])).not.toEqual([]);
  });

  it('pruning past retention never drops facts an enabled consumer has not passed', async () => {
    failing.add(bad.tenantId);
    const held = await cursor('picky', bad.tenantId);
    for (let i = 0; i < 3; i++) await bad.rep1.api.post('/contacts', { firstName: `Held${i}` });
    const badEnd = await seq(bad.tenantId);
    await until(
      async () => (await cursor('audit', bad.tenantId)) === badEnd && (await cursor('audit', good.tenantId)) === (await seq(good.tenantId)),
      'audit to catch up',
    );
    // Retention 0: everything is "old"; only the cursors keep events. This is the relay's own call.
    await prune(em(), 0, enabledConsumers(node.pulse.wp));
    const left = await q<{ seq: string }>('select seq from outbox_events where tenant_id = ? order by seq', [bad.tenantId]);
    expect(left.map((r) => Number(r.seq))).toEqual(Array.from({ length: badEnd - held }, (_, i) => held + 1 + i));
    // The healthy tenant's events are all passed by both consumers, so they went.
    expect(await q('select seq from outbox_events where tenant_id = ?', [good.tenantId])).toEqual([]);
    // The held facts are still delivered once the consumer recovers.
    failing.delete(bad.tenantId);
    await until(async () => (await cursor('picky', bad.tenantId)) === badEnd, 'the consumer to pass the kept events');
    // A disabled consumer holds nothing back.
    expect(enabledConsumers(node.pulse.wp).sort()).toEqual(['audit', 'late', 'picky']);
  });
});
