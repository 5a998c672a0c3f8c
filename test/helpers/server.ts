import { loadConfig, type Config } from '../../server/config.js';
import { createPulse, type Pulse, type CreateOptions } from '../../server/app.js';
import type { PulseExtension } from '../../server/extension.js';
import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase } from './db.js';
import { createOrg, type Org } from './api.js';

export interface TestNode {
  pulse: Pulse;
  url: string;
  close: () => Promise<void>;
}

/** Starts one real server node (HTTP on a random port) against the given database. */
export async function startNode(opts: {
  databaseUrl: string | null;
  dataDir?: string;
  redisUrl?: string | null;
  extensions?: (cfg: Config) => PulseExtension[] | Promise<PulseExtension[]>;
  env?: Record<string, string>;
  create?: CreateOptions;
}): Promise<TestNode> {
  const config = loadConfig({
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : {}),
    ...(opts.dataDir ? { DATA_DIR: opts.dataDir } : {}),
    ...(opts.redisUrl ? { REDIS_URL: opts.redisUrl } : {}),
    SEED_DEMO: '0',
    ...opts.env,
  });
  // Tests log in a lot from one address and may share one Redis: generous limits unless a test asks otherwise.
  const pulse = await createPulse(config, {
    loginLimit: { max: 1000, windowMs: 60_000 },
    ...opts.create,
    extensions: opts.extensions ? await opts.extensions(config) : [],
  });
  const url = await pulse.listen(0, '127.0.0.1');
  return { pulse, url, close: () => pulse.close() };
}

/**
 * The usual test-file setup: a fresh database, one node on it and an org, made in beforeAll and torn
 * down in afterAll. Read the fields inside tests (they are filled once beforeAll has run).
 */
export function useNodeWithOrg(label = 'org', nodeOpts: Partial<Parameters<typeof startNode>[0]> = {}) {
  const ctx = {} as { db: Awaited<ReturnType<typeof createTestDatabase>>; node: TestNode; org: Org };
  beforeAll(async () => {
    ctx.db = await createTestDatabase();
    ctx.node = await startNode({ databaseUrl: ctx.db.url, ...nodeOpts });
    ctx.org = await createOrg(ctx.node.url, label);
  });
  afterAll(async () => {
    await ctx.node?.close();
    await ctx.db?.drop();
  });
  return ctx;
}
