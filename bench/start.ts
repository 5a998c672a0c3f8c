// How long a restarted node takes to become healthy: time from spawning `npm start` (or the command given
// after --) to the first GET /api/health 200, on an existing database (embedded PGlite and PostgreSQL).
// Each backend: one first start (creates and migrates the database, builds whatever is stale), then
// RUNS restarts, each measured. `npm run bench:start [-- --cwd DIR] [-- --runs N]`.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : def;
};
const cwd = path.resolve(arg('--cwd', process.cwd()));
const runs = Number(arg('--runs', '3'));
const PG_BASE = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** Spawns `npm start`, resolves with ms until /api/health answers 200, and the function that stops it. */
async function startOnce(env: Record<string, string>): Promise<{ ms: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn('npm', ['start'], {
    cwd,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  for (;;) {
    if (exited) throw new Error('the node exited before it was healthy');
    const ok = await fetch(`http://127.0.0.1:${port}/api/health`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  const ms = performance.now() - t0;
  return {
    ms,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        process.kill(-child.pid!, 'SIGTERM'); // npm and the node it started
      }),
  };
}

async function measure(label: string, env: Record<string, string>) {
  const first = await startOnce(env);
  await first.stop();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = await startOnce(env);
    times.push(s.ms);
    await s.stop();
  }
  console.log(
    `${label.padEnd(10)} first start ${(first.ms / 1000).toFixed(2)} s; restarts ${times.map((t) => (t / 1000).toFixed(2) + ' s').join(', ')}`,
  );
}

console.log(`npm start in ${cwd}`);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-start-'));
try {
  await measure('PGlite', { DATA_DIR: dataDir });
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}

const name = `pulse_start_${crypto.randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: `${PG_BASE}/postgres` });
await admin.connect();
await admin.query(`create database ${name}`);
try {
  await measure('PostgreSQL', { DATABASE_URL: `${PG_BASE}/${name}` });
} finally {
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
}
