// What pg-boss 10 costs on Pulse's database, on PostgreSQL and on the embedded PGlite (through the
// bossDb adapter over MikroORM's connection). Usage: tsx bench/jobs-engine.ts lite | pg <database url>
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import PgBoss from 'pg-boss';
import { createOrm } from '../server/db/orm.js';
import { bossDb } from '../server/jobs/boss-db.js';

const target =
  process.argv[2] === 'pg' ? { databaseUrl: process.argv[3] } : { databaseUrl: null, dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'boss-')) };
const orm = await createOrm(target);
const opts = { db: bossDb(orm), schema: 'pgboss', supervise: true, schedule: false } as PgBoss.ConstructorOptions;
const ms = (t: number) => Math.round(performance.now() - t);

let t = performance.now();
const first = new PgBoss(opts);
await first.start();
console.log(`start on a fresh database (installs its schema): ${ms(t)} ms`);
await first.stop({ graceful: false, wait: true });
t = performance.now();
const boss = new PgBoss(opts);
boss.on('error', (e) => console.error('pg-boss error', e));
await boss.start();
console.log(`start on an installed database: ${ms(t)} ms`);
await boss.createQueue('bench', { name: 'bench', retryLimit: 3, retryDelay: 1 });

// One worker polling every 0.5 s, batches of one job (what server/jobs uses).
let failedOnce = false;
const finished = new Map<string, number>();
const waiters = new Map<string, () => void>();
const worker = await boss.work<{ fail?: boolean }>('bench', { pollingIntervalSeconds: 0.5, batchSize: 1 }, async ([job]) => {
  if (job.data.fail && !failedOnce) {
    failedOnce = true;
    throw new Error('boom');
  }
  finished.set(job.id, performance.now());
  waiters.get(job.id)?.();
});
const done = (id: string) => new Promise<void>((r) => (finished.has(id) ? r() : waiters.set(id, r)));

// Started on this node: send, then wake the local worker (what Jobs.enqueue does).
const lat: number[] = [];
for (let i = 0; i < 20; i++) {
  const s = performance.now();
  const id = (await boss.send('bench', { i }))!;
  boss.notifyWorker(worker);
  await done(id);
  lat.push(performance.now() - s);
}
lat.sort((x, y) => x - y);
console.log(`send + local wake → handler ran: median ${Math.round(lat[10])} ms, max ${Math.round(lat[19])} ms (20 jobs)`);

// Sent without a wake (another node started it): picked up by polling.
t = performance.now();
const sends: string[] = [];
for (let i = 0; i < 10; i++) sends.push((await boss.send('bench', { i }))!);
const sendMs = performance.now() - t;
await Promise.all(sends.map(done));
console.log(`10 sends: ${Math.round(sendMs / 10)} ms each; all 10 handled by polling after ${ms(t)} ms (one job per 0.5 s poll)`);

// A job that fails once is retried after its delay.
t = performance.now();
const retried = (await boss.send('bench', { fail: true }, { retryLimit: 3, retryDelay: 1 }))!;
boss.notifyWorker(worker);
await done(retried);
console.log(`fail once → retried and done after ${ms(t)} ms (retryDelay 1 s)`);
t = performance.now();
await boss.stop({ graceful: true, wait: true });
console.log(`stop: ${ms(t)} ms`);
await orm.close(true);
process.exit(0);
