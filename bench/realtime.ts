/**
 * npm run bench:realtime — the live-event layer on real PostgreSQL, Redis and Socket.IO:
 *  1. Fan-out: two nodes on one Redis, S sockets (admins: every event reaches every socket) spread over
 *     both; W deal creations through both nodes' REST APIs at concurrency C. Latency is measured from
 *     the moment the write request is sent to the moment each socket receives the event (one process,
 *     one clock), so it includes the HTTP request, the transaction and the fan-out.
 *  2. Replay: a socket reconnecting with lastSeq, R events behind.
 * Options: --sockets S (default 200), --writes W (default 600), --concurrency C (default 8), --replay R (default 1000).
 * Everything runs in this one process (2 cores here), so the figures are a floor on a small machine.
 */
import { createTestDatabase, REDIS_URL } from '../test/helpers/db.js';
import { startNode } from '../test/helpers/server.js';
import { Api, createOrg } from '../test/helpers/api.js';
import { realtimeExtension } from '../server/realtime/realtime.extension.js';
import { connect, type LiveClient } from '../test/realtime/live-client.js';

const arg = (name: string, def: number) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : def; };
const SOCKETS = arg('sockets', 200);
const WRITES = arg('writes', 600);
const CONC = arg('concurrency', 8);
const REPLAY = arg('replay', 1000);

const pct = (s: number[], p: number) => s[Math.min(s.length - 1, Math.floor(s.length * p))];
const fmt = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return `p50 ${pct(s, 0.5).toFixed(1)} ms, p95 ${pct(s, 0.95).toFixed(1)} ms, p99 ${pct(s, 0.99).toFixed(1)} ms, max ${s[s.length - 1].toFixed(1)} ms`; };

const db = await createTestDatabase();
const ext = () => [realtimeExtension({ maxReplay: Math.max(1000, REPLAY) })];
const a = await startNode({ databaseUrl: db.url, redisUrl: REDIS_URL, extensions: ext });
const b = await startNode({ databaseUrl: db.url, redisUrl: REDIS_URL, extensions: ext });
const clients: LiveClient[] = [];
try {
  const org = await createOrg(a.url, 'rtbench');
  console.log(`\n== Fan-out: ${WRITES} writes through 2 nodes, ${SOCKETS} sockets (every event to every socket), write concurrency ${CONC} ==`);
  for (let i = 0; i < SOCKETS; i++) clients.push(await connect(i % 2 ? b.url : a.url, { token: org.admin.token }));
  const sentAt = new Map<string, number>();
  const lat: number[] = [];
  // Nodes and clients share this process's clock, so commit -> socket isolates the fan-out itself.
  const committedAt = new Map<string, number>();
  const fanLat: number[] = [];
  for (const n of [a, b]) n.pulse.wp.onCommit((evs) => { const t = performance.now(); for (const e of evs) if (e.type === 'deal.created') committedAt.set((e.data as any).name, t); });
  let received = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => { done = r; if (SOCKETS === 0) r(); });
  for (const c of clients) {
    c.socket.on('deal.created', (e: any) => {
      const t0 = sentAt.get(e.data.name);
      const tc = committedAt.get(e.data.name);
      if (tc !== undefined) fanLat.push(performance.now() - tc);
      if (t0 !== undefined) { lat.push(performance.now() - t0); if (++received === WRITES * SOCKETS) done(); }
    });
  }
  const writeLat: number[] = [];
  const apis = [new Api(a.url, org.admin.token), new Api(b.url, org.admin.token)];
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: CONC }, async () => {
    while (next < WRITES) {
      const i = next++;
      const name = `bench ${i}`;
      const t0 = performance.now();
      sentAt.set(name, t0);
      const r = await apis[i % 2].post('/deals', { name, pipelineId: org.pipelineId });
      if (r.status !== 201) throw new Error('write failed ' + r.status);
      writeLat.push(performance.now() - t0);
    }
  }));
  const writesDone = performance.now();
  await all;
  const end = performance.now();
  console.log(`writes: ${(WRITES / ((writesDone - start) / 1000)).toFixed(0)}/s; write response ${fmt(writeLat)}`);
  console.log(`deliveries: ${received} in ${((end - start) / 1000).toFixed(2)} s = ${(received / ((end - start) / 1000)).toFixed(0)}/s`);
  console.log(`write sent -> socket received: ${fmt(lat)}`);
  console.log(`commit -> socket received (fan-out alone, both nodes): ${fmt(fanLat)}`);

  console.log(`\n== Replay: reconnect ${REPLAY} events behind ==`);
  const first = await connect(a.url, { token: org.rep1.token });
  clients.push(first);
  const base = first.ready!.seq;
  let made = 0;
  await Promise.all(Array.from({ length: CONC }, async () => {
    while (made < REPLAY) { made++; await apis[0].as(org.rep1.token).post('/deals', { name: `replay ${made}`, pipelineId: org.pipelineId }); }
  }));
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const c = await connect(b.url, { token: org.rep1.token, lastSeq: base });
    times.push(performance.now() - t0);
    if (c.events.length !== REPLAY) throw new Error(`replayed ${c.events.length}, expected ${REPLAY}`);
    c.close();
  }
  console.log(`connect + replay of ${REPLAY} events until session.ready: ${fmt(times)} (5 runs)`);
} finally {
  for (const c of clients) c.close();
  await a.close();
  await b.close();
  await db.drop();
}
