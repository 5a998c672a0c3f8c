import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createTestDatabase } from '../helpers/db.js';
import { freePort } from '../helpers/cluster.js';
import { buildServer, serverStale, root, SERVER_MAIN } from '../../scripts/build.mjs';

let child: ChildProcess | null = null;
let db: Awaited<ReturnType<typeof createTestDatabase>> | null = null;
afterAll(async () => {
  if (child && child.exitCode === null)
    await new Promise<void>((r) => {
      child!.once('exit', () => r());
      child!.kill('SIGTERM');
    });
  await db?.drop();
});

describe('production start', () => {
  it('rebuilds the server only when a source is newer than the build', async () => {
    if (serverStale()) await buildServer();
    expect(serverStale()).toBe(false);
    // A build from a minute ago, and a source edited since.
    const minuteAgo = new Date(Date.now() - 60_000);
    fs.utimesSync(path.join(root, 'dist/.built'), minuteAgo, minuteAgo);
    const now = new Date();
    fs.utimesSync(path.join(root, 'server/config.ts'), now, now);
    expect(serverStale()).toBe(true);
    await buildServer();
    expect(serverStale()).toBe(false);
  });

  it('runs a node from built JavaScript with plain node (no TypeScript loader), healthy on an existing database', async () => {
    if (serverStale()) await buildServer();
    db = await createTestDatabase(); // created and migrated: an existing database
    const port = await freePort();
    const t0 = Date.now();
    child = spawn(process.execPath, [SERVER_MAIN], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', SEED_DEMO: '0' },
    });
    let stderr = '';
    child.stderr!.on('data', (b) => {
      stderr += b;
    });
    let health: any = null;
    while (!health) {
      if (child.exitCode !== null) throw new Error('node exited: ' + stderr);
      health = await fetch(`http://127.0.0.1:${port}/api/health`).then(
        (r) => (r.status === 200 ? r.json() : null),
        () => null,
      );
      if (!health) await new Promise((r) => setTimeout(r, 50));
    }
    expect(health).toMatchObject({ status: 'ok', database: 'ok' });
    // Generous for a loaded 2-core CI machine; bench/start.ts measures it properly (README).
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(SERVER_MAIN.endsWith('.js')).toBe(true);
  });
});
