import path from 'node:path';

/** Process configuration, read once from the environment (documented in README.md). */
export interface Config {
  port: number;
  host: string;
  databaseUrl: string | null;
  redisUrl: string | null;
  /** Prefix of every Redis key and channel; null means `pulse:<database name>`. */
  redisPrefix: string | null;
  typesenseUrl: string | null;
  typesenseApiKey: string | null;
  dataDir: string;
  seedDemo: boolean;
  logLevel: string;
  nodeId: string;
  /** How long outbox events are kept for replay on reconnect. */
  eventRetentionMs: number;
  sessionTtlMs: number;
  cookieSecure: boolean;
  /** Express 'trust proxy' setting, so rate limits see the client's address behind a proxy. */
  trustProxy: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const databaseUrl = env.DATABASE_URL || null;
  return {
    port: Number(env.PORT ?? 3000),
    host: env.HOST ?? '0.0.0.0',
    databaseUrl,
    redisUrl: env.REDIS_URL || null,
    redisPrefix: env.REDIS_PREFIX || null,
    typesenseUrl: env.TYPESENSE_URL || null,
    typesenseApiKey: env.TYPESENSE_API_KEY || null,
    dataDir: path.resolve(env.DATA_DIR ?? '.data'),
    // The demo tenant is only ever created on the embedded default, or when asked for explicitly.
    seedDemo: env.SEED_DEMO ? env.SEED_DEMO === '1' : !databaseUrl,
    logLevel: env.LOG_LEVEL ?? 'info',
    nodeId: env.NODE_ID ?? `node-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    eventRetentionMs: Number(env.EVENT_RETENTION_HOURS ?? 72) * 3600_000,
    sessionTtlMs: Number(env.SESSION_TTL_HOURS ?? 24 * 14) * 3600_000,
    cookieSecure: env.COOKIE_SECURE === '1',
    trustProxy: env.TRUST_PROXY ?? 'loopback',
  };
}
