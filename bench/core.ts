/**
 * npm run bench — core figures on real PostgreSQL:
 *  1. Timeline paging over 1M activities on one contact: first page vs a page 500k deep, keyset vs OFFSET.
 *  2. move-stage requests per second on one process, beside a baseline of the cheapest authenticated
 *     request (GET /api/me) measured the same way in the same run.
 * Options: --activities N (default 1000000), --seconds S per throughput run (default 8), --concurrency C (default 16).
 */
import pg from 'pg';
import { createTestDatabase } from '../test/helpers/db.js';
import { startNode } from '../test/helpers/server.js';
import { createOrg } from '../test/helpers/api.js';
import { encodeCursor } from '../server/db/keyset.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const N = arg('activities', 1_000_000);
const SECONDS = arg('seconds', 8);
const CONC = arg('concurrency', 16);
const PAGE = 50;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
};
async function timeIt(runs: number, fn: () => Promise<unknown>) {
  const t: number[] = [];
  await fn(); // warm
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    await fn();
    t.push(performance.now() - s);
  }
  return { median: median(t), p95: pct(t, 0.95) };
}

const db = await createTestDatabase();
const node = await startNode({ databaseUrl: db.url });
try {
  const org = await createOrg(node.url, 'bench');
  const contact = (await org.rep1.api.post('/contacts', { firstName: 'Busy', lastName: 'Contact' })).body;
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const tenant = (await client.query('select tenant_id from users where id = $1', [org.rep1.id])).rows[0].tenant_id;

  console.log(`\n== Timeline over ${N.toLocaleString()} activities on one contact (page size ${PAGE}) ==`);
  let s = performance.now();
  // Timestamps repeat every 1000 rows on purpose: keyset must break ties by id.
  await client.query(
    `insert into activities (id, tenant_id, type, contact_id, user_id, subject, created_at, updated_at)
    select gen_random_uuid(), $1, (array['EMAIL','CALL','MEETING','NOTE','TASK'])[1 + (g % 5)], $2, $3, 'activity ' || g,
           timestamptz '2024-01-01' + ((g / 1000) * interval '1 minute'), now()
      from generate_series(1, $4::int) g`,
    [tenant, contact.id, org.rep1.id, N],
  );
  await client.query('analyze activities');
  console.log(`loaded in ${((performance.now() - s) / 1000).toFixed(1)} s`);

  const deep = Math.floor(N / 2);
  const at = (
    await client.query(`select created_at::text as t, id from activities where contact_id = $1 order by created_at desc, id desc offset $2 limit 1`, [
      contact.id,
      deep - 1,
    ])
  ).rows[0];
  const cursor = encodeCursor(at.t, at.id);
  const api = org.rep1.api;
  const keysetFirst = await timeIt(30, () => api.get(`/contacts/${contact.id}/timeline?limit=${PAGE}`));
  const keysetDeep = await timeIt(30, async () => {
    const r = await api.get(`/contacts/${contact.id}/timeline?limit=${PAGE}&cursor=${cursor}`);
    if (r.status !== 200 || r.body.items.length !== PAGE) throw new Error('deep keyset page failed');
  });
  // The same query with OFFSET, through the same database connection path the API uses.
  const em = node.pulse.wp.read();
  const offsetQuery = (offset: number) =>
    em.execute(`select a.* from activities a where a.contact_id = ? order by a.created_at desc, a.id desc limit ? offset ?`, [
      contact.id,
      PAGE,
      offset,
    ]);
  const offsetFirst = await timeIt(30, () => offsetQuery(0));
  const offsetDeep = await timeIt(10, () => offsetQuery(deep));
  const keysetSqlDeep = await timeIt(30, () =>
    em.execute(
      `select a.* from activities a where a.contact_id = ? and (a.created_at, a.id) < (?::timestamptz, ?::uuid) order by a.created_at desc, a.id desc limit ?`,
      [contact.id, at.t, at.id, PAGE],
    ),
  );
  const row = (name: string, r: { median: number; p95: number }) =>
    console.log(`${name.padEnd(44)} median ${r.median.toFixed(2).padStart(8)} ms   p95 ${r.p95.toFixed(2).padStart(8)} ms`);
  row('keyset, first page (HTTP API)', keysetFirst);
  row(`keyset, page ${deep.toLocaleString()} deep (HTTP API)`, keysetDeep);
  row(`keyset, page ${deep.toLocaleString()} deep (SQL only)`, keysetSqlDeep);
  row('OFFSET 0 (SQL only)', offsetFirst);
  row(`OFFSET ${deep.toLocaleString()} (SQL only)`, offsetDeep);
  console.log(`deep page, OFFSET / keyset (SQL only): ${(offsetDeep.median / keysetSqlDeep.median).toFixed(0)}x slower with OFFSET`);
  console.log(`keyset deep / keyset first (HTTP): ${(keysetDeep.median / keysetFirst.median).toFixed(2)}x (flat means depth costs nothing)`);

  console.log(`\n== Throughput on one process, ${CONC} concurrent clients, ${SECONDS} s each ==`);
  const deals: { id: string }[] = [];
  for (let i = 0; i < 64; i++)
    deals.push((await org.rep1.api.post('/deals', { name: 'Bench ' + i, contactId: contact.id, pipelineId: org.pipelineId, amount: '1000' })).body);
  const stages = org.stages.filter((x) => x.outcome === 'OPEN').map((x) => x.id);
  async function throughput(fn: (i: number) => Promise<number>) {
    let done = 0,
      failed = 0;
    const lat: number[] = [];
    const end = Date.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CONC }, async (_, w) => {
        let i = w;
        while (Date.now() < end) {
          const t = performance.now();
          const status = await fn(i);
          lat.push(performance.now() - t);
          if (status === 200) done++;
          else failed++;
          i += CONC;
        }
      }),
    );
    return { rps: done / SECONDS, failed, p50: median(lat), p99: pct(lat, 0.99) };
  }
  const baseline = await throughput(async () => (await org.rep1.api.get('/me')).status);
  const moves = await throughput(
    async (i) =>
      (await org.rep1.api.post(`/deals/${deals[i % deals.length].id}/move`, { stageId: stages[(Math.floor(i / deals.length) + 1) % stages.length] }))
        .status,
  );
  const fmt = (n: string, r: typeof moves) =>
    console.log(
      `${n.padEnd(44)} ${r.rps.toFixed(0).padStart(6)} req/s   p50 ${r.p50.toFixed(1)} ms   p99 ${r.p99.toFixed(1)} ms   non-200: ${r.failed}`,
    );
  fmt('baseline: GET /api/me (auth + 1 query)', baseline);
  fmt('POST /api/deals/:id/move (tx, history, note, outbox)', moves);
  console.log(`move / baseline: ${(moves.rps / baseline.rps).toFixed(2)}`);
  await client.end();
} finally {
  await node.close();
  await db.drop();
}
