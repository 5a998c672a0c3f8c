import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';
import PgBoss from 'pg-boss';
import { createOrm } from '../server/db/orm.js';
import { bossDb } from '../server/jobs/boss-db.js';
const target = process.argv[2] === 'pg' ? { databaseUrl: process.argv[3] } : { databaseUrl: null, dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'boss-')) };
const orm = await createOrm(target as any);
let t = performance.now();
const boss = new PgBoss({ db: bossDb(orm) as any, schema: 'pgboss', supervise: true, schedule: false } as any);
boss.on('error', (e) => console.error('boss error', e));
await boss.start();
console.log('start (install)', Math.round(performance.now() - t), 'ms');
await boss.stop({ graceful: false, wait: true } as any);
t = performance.now();
const boss2 = new PgBoss({ db: bossDb(orm) as any, schema: 'pgboss', supervise: true, schedule: false } as any);
await boss2.start();
console.log('start (existing)', Math.round(performance.now() - t), 'ms');
await boss2.createQueue('m');
let n = 0; let failedOnce = false;
const done = new Promise<void>((res) => {
  void boss2.work('m', { pollingIntervalSeconds: 0.5, batchSize: 1, localConcurrency: 1 } as any, async ([job]: any) => {
    if (job.data.fail && !failedOnce) { failedOnce = true; throw new Error('boom'); }
    if (++n === 51) res();
  });
});
t = performance.now();
await boss2.send('m', { fail: true }, { retryLimit: 3, retryDelay: 1 });
for (let i = 0; i < 50; i++) await boss2.send('m', { i });
const tSend = performance.now() - t;
await done;
console.log('50 sends', Math.round(tSend), 'ms; 51 jobs (one retried) done in', Math.round(performance.now() - t), 'ms', 'failedOnce', failedOnce);
t = performance.now();
await boss2.stop({ graceful: true, wait: true } as any);
console.log('stop', Math.round(performance.now() - t), 'ms');
await orm.close(true);
process.exit(0);
