import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, REDIS_URL } from '../helpers/db.js';
import { createOrg, type Org } from '../helpers/api.js';
import { until } from '../notes/helpers.js';
import { PROBE_TABLES } from './probe.js';
import { spawnConsumerNode, type ConsumerNode } from './spawn.js';

// Durable consumers across real processes: one node is killed with SIGKILL in the middle of a batch,
// and two live nodes compete for the same (consumer, tenant) pairs.
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let sql: pg.Client;
const nodes: ConsumerNode[] = [];
const q = async <T = any>(text: string, values: unknown[] = []) => (await sql.query(text, values)).rows as T[];

beforeAll(async () => {
  db = await createTestDatabase();
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  await sql.query(PROBE_TABLES);
});
afterAll(async () => {
  for (const n of nodes) await n.kill();
  await sql?.end();
  await db?.drop();
});

/** createOrg's tenantId is empty (GET /me does not say it): read it from the database. */
async function withTenant(org: Org): Promise<Org> {
  org.tenantId = (await q('select tenant_id from users where id = $1', [org.admin.id]))[0].tenant_id;
  return org;
}

async function spawn(name: string, probe: Record<string, unknown>) {
  const n = await spawnConsumerNode({ DATABASE_URL: db.url, REDIS_URL, NODE_ID: name, PROBE_OPTS: JSON.stringify(probe) });
  nodes.push(n);
  return n;
}

/** `n` contact.created facts, a few at a time. */
async function writeFacts(org: Org, n: number, tag: string) {
  for (let i = 0; i < n; i += 8) {
    const rs = await Promise.all(
      Array.from({ length: Math.min(8, n - i) }, (_, k) => org.rep1.api.post('/contacts', { firstName: `${tag}${i + k}` })),
    );
    for (const r of rs) if (r.status !== 201) throw new Error(`contact create failed: ${r.status} ${JSON.stringify(r.body)}`);
  }
}

const factSeqs = async (tenantId: string) =>
  (await q<{ seq: string }>(`select seq from outbox_events where tenant_id = $1 and kind = 'fact' order by seq`, [tenantId])).map((r) =>
    Number(r.seq),
  );
const tenantSeq = async (tenantId: string) => Number((await q('select event_seq from tenants where id = $1', [tenantId]))[0].event_seq);
const cursor = async (consumer: string, tenantId: string) =>
  Number((await q('select last_seq from consumer_cursors where consumer = $1 and tenant_id = $2', [consumer, tenantId]))[0]?.last_seq ?? -1);

describe('a consumer node killed with SIGKILL mid-batch', () => {
  it('the other node resumes from the cursor: every fact handled at least once, cursor at the end, audit complete and unique', async () => {
    const a = await spawn('node-a', { delayMs: 40, batchSize: 10 });
    const org = await withTenant(await createOrg(a.url, 'kill'));
    await writeFacts(org, 60, 'k');
    // Wait until node A is inside a batch (entered, some seqs handled, not left) and past at least one batch.
    let open: any;
    await until(
      async () => {
        const done = await q(`select 1 from probe_entries where node = 'node-a' and tenant_id = $1 and left_at is not null`, [org.tenantId]);
        [open] = await q(
          `select e.*, (select count(*)::int from probe_seen s where s.node = 'node-a' and s.tenant_id = e.tenant_id and s.seq between e.first_seq and e.last_seq) as seen
          from probe_entries e where node = 'node-a' and tenant_id = $1 and left_at is null`,
          [org.tenantId],
        );
        return done.length > 0 && !!open && open.seen >= 2;
      },
      'node A to be in the middle of a batch',
      30_000,
    );
    await a.kill('SIGKILL');
    const before = await cursor('probe', org.tenantId);
    const end = await tenantSeq(org.tenantId);
    expect(before).toBeLessThan(end);
    expect(before).toBeLessThan(Number(open.last_seq));

    const b = await spawn('node-b', { delayMs: 5, batchSize: 10 });
    await until(
      async () => (await cursor('probe', org.tenantId)) === end && (await cursor('audit', org.tenantId)) === end,
      'node B to take the cursors to the end',
      30_000,
    );

    const facts = await factSeqs(org.tenantId);
    expect(facts.length).toBeGreaterThanOrEqual(60);
    const seen = await q<{ node: string; seq: string }>('select node, seq from probe_seen where tenant_id = $1', [org.tenantId]);
    const handled = new Set(seen.map((s) => Number(s.seq)));
    expect(facts.filter((s) => !handled.has(s))).toEqual([]);
    // The killed batch is delivered again, on node B, from its first event.
    const onB = new Set(seen.filter((s) => s.node === 'node-b').map((s) => Number(s.seq)));
    for (let s = Number(open.first_seq); s <= Number(open.last_seq); s++) if (facts.includes(s)) expect(onB.has(s)).toBe(true);
    expect(Math.min(...onB)).toBe(facts.find((s) => s > before));
    const audit = await q<{ seq: string }>('select seq from audit_log where tenant_id = $1 order by seq', [org.tenantId]);
    expect(audit.map((r) => Number(r.seq))).toEqual(facts);
    const health = await (await fetch(`${b.url}/api/health`)).json();
    expect(health.consumers.probe).toMatchObject({ enabled: true, maxLag: 0 });
    expect(health.consumers.audit).toMatchObject({ enabled: true, maxLag: 0, totalLag: 0 });
  }, 120_000);
});

describe('two live nodes', () => {
  it('never run the same (consumer, tenant) at once, and between them handle everything', async () => {
    await Promise.all(nodes.splice(0).map((n) => n.kill()));
    const [a, b] = await Promise.all([
      spawn('node-c', { name: 'probe', delayMs: 15, batchSize: 5 }),
      spawn('node-d', { name: 'probe', delayMs: 15, batchSize: 5 }),
    ]);
    const orgs = await Promise.all(
      [createOrg(a.url, 'race1'), createOrg(b.url, 'race2'), createOrg(a.url, 'race3')].map(async (o) => withTenant(await o)),
    );
    await Promise.all(orgs.map((o, i) => writeFacts(o, 40, `r${i}`)));
    for (const o of orgs) {
      const end = await tenantSeq(o.tenantId);
      await until(async () => (await cursor('probe', o.tenantId)) === end, 'the probe to catch up', 60_000);
    }
    const entries = await q(
      `select node, tenant_id, entered_at, left_at from probe_entries where node in ('node-c', 'node-d') order by tenant_id, entered_at`,
    );
    expect(new Set(entries.map((e) => e.node))).toEqual(new Set(['node-c', 'node-d']));
    let overlaps = 0;
    for (let i = 1; i < entries.length; i++) {
      const p = entries[i - 1];
      const e = entries[i];
      if (p.tenant_id === e.tenant_id && new Date(e.entered_at) < new Date(p.left_at)) overlaps++;
    }
    expect(overlaps).toBe(0);
    for (const o of orgs) {
      const handled = new Set(
        (await q<{ seq: string }>(`select seq from probe_seen where tenant_id = $1 and node in ('node-c', 'node-d')`, [o.tenantId])).map((r) =>
          Number(r.seq),
        ),
      );
      expect((await factSeqs(o.tenantId)).filter((s) => !handled.has(s))).toEqual([]);
    }
  }, 120_000);
});
