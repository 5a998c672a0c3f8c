import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import cookieParser from 'cookie-parser';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import { createOrm } from './db/orm.js';
import { migrate } from './db/migrate.js';
import { WritePath } from './db/write.js';
import { Policy } from './policy/policy.js';
import { createServices } from './services.js';
import { errorHandler, AppError, errorBody } from './http/errors.js';
import { openApiDocument } from './http/openapi.js';
import { route } from './http/route.js';
import { rejectNulInput } from './http/input-guard.js';
import { refuseCrossSiteCookieWrites } from './http/csrf.js';
import { answerUnclaimedUpgrades } from './http/upgrade.js';
import { requestId } from './http/request-id.js';
import { RateLimiter } from './auth/rate-limit.js';
import { authRoutes, requireAuth } from './auth/auth.routes.js';
import { userRoutes } from './users/user.routes.js';
import { companyRoutes } from './companies/company.routes.js';
import { contactRoutes } from './contacts/contact.routes.js';
import { dealRoutes } from './deals/deal.routes.js';
import { pipelineRoutes } from './pipelines/pipeline.routes.js';
import { activityRoutes } from './activities/activity.routes.js';
import { customFieldRoutes } from './custom-fields/custom-field.routes.js';
import { settingsRoutes } from './settings/settings.routes.js';
import { auditRoutes } from './consumers/audit.routes.js';
import { jobRoutes } from './jobs/job.routes.js';
import type { PulseContext, PulseExtension } from './extension.js';
import { EventFeed } from './events/feed.js';
import { one } from './db/sql.js';
import { deploymentKeys, leaseNodeRedis, type RedisLease } from './redis/index.js';

/** The repository root: the nearest folder with a package.json, from server/ under tsx and from dist/server/ when built. */
function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}
const clientDist = path.join(projectRoot(), 'client/dist');

export interface Pulse extends PulseContext {
  extensions: PulseExtension[];
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

export interface CreateOptions {
  extensions?: PulseExtension[];
  /** Reuse an ORM (tests share one per process); the caller closes it. */
  orm?: MikroORM;
  loginLimit?: { max: number; windowMs: number };
}

/** Builds one server node: database, services, REST API, and the extensions that hang off it. */
export async function createPulse(config: Config, opts: CreateOptions = {}): Promise<Pulse> {
  const log: Logger = createLogger(config.logLevel, { node: config.nodeId });
  const ownOrm = !opts.orm;
  const orm = opts.orm ?? (await createOrm({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
  if (ownOrm) await migrate(orm, config.databaseUrl, log);

  const wp = new WritePath(orm);
  const policy = new Policy();
  const services = createServices(wp, policy, log, { sessionTtlMs: config.sessionTtlMs, embedded: !config.databaseUrl });
  // The node's two Redis connections, shared by everything below and the extensions (server/redis/).
  let lease: RedisLease | null = null;
  if (config.redisUrl) {
    const db = config.redisPrefix ? null : await one<{ name: string }>(wp.read(), 'select current_database() as name');
    lease = leaseNodeRedis({ url: config.redisUrl, nodeId: config.nodeId, log, keys: deploymentKeys(config.redisPrefix, db?.name ?? 'db') });
    await lease.redis.ready();
  }
  const redis = lease?.redis ?? null;
  // Login limits are shared across nodes through Redis when there is one.
  // Per account: few tries. Per address: more, since offices share one address.
  const loginLimit = opts.loginLimit ?? { max: 10, windowMs: 15 * 60_000 };
  const limiter = {
    account: new RateLimiter({ prefix: redis?.keys.ns('rl', 'acct') ?? 'rl:acct', ...loginLimit }, redis?.command ?? null),
    address: new RateLimiter(
      { prefix: redis?.keys.ns('rl', 'addr') ?? 'rl:addr', max: loginLimit.max * 20, windowMs: loginLimit.windowMs },
      redis?.command ?? null,
    ),
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    next();
  });
  app.use(requestId());
  app.use(cookieParser());
  app.use('/api', refuseCrossSiteCookieWrites);
  app.use('/api', express.json({ limit: '256kb', strict: true }), rejectNulInput);

  const pub = express.Router();
  const priv = express.Router();
  const extensions = opts.extensions ?? [];

  route(pub, { method: 'get', path: '/health', summary: 'Node health: database, bus and extensions', tag: 'meta', auth: false }, async ({ res }) => {
    const out: Record<string, unknown> = { status: 'ok', node: config.nodeId };
    try {
      await wp.read().execute('select 1');
      out.database = 'ok';
    } catch {
      out.database = 'down';
      out.status = 'degraded';
    }
    for (const e of extensions) {
      if (e.health) out[e.name] = await e.health();
      if (e.degraded?.()) out.status = 'degraded';
    }
    res.status(out.database === 'ok' ? 200 : 503).json(out);
  });
  route(pub, { method: 'get', path: '/openapi.json', summary: 'This document', tag: 'meta', auth: false }, async () => openApiDocument());
  // The login page lists the demo logins only where the demo tenant is seeded (the embedded default).
  route(pub, { method: 'get', path: '/auth/demo', summary: 'Whether this node seeds the demo tenant', tag: 'auth', auth: false }, async () => ({
    demo: config.seedDemo,
  }));

  authRoutes(pub, priv, services.auth, services.users, limiter, { cookieSecure: config.cookieSecure, sessionTtlMs: config.sessionTtlMs });
  userRoutes(priv, services.users);
  companyRoutes(priv, services.companies);
  contactRoutes(priv, services.contacts, services.activities);
  dealRoutes(priv, services.deals, services.activities);
  pipelineRoutes(priv, services.pipelines, services.deals);
  activityRoutes(priv, services.activities);
  customFieldRoutes(priv, services.customFields);
  settingsRoutes(priv, services.settings);
  auditRoutes(priv, wp);
  jobRoutes(priv, wp);

  app.use('/api', pub);
  app.use('/api', requireAuth(services.auth), priv);
  app.use('/api', (_req, res) => {
    res.status(404).json(errorBody(new AppError(404, 'NOT_FOUND', 'No such route')));
  });
  app.use(errorHandler(log));

  const server = http.createServer(app);
  // Upgrades on paths no feature serves are answered (404) instead of hanging forever.
  answerUnclaimedUpgrades(server);
  const feed = new EventFeed();
  // Org changes made on any node reach every node's visibility cache through the feed.
  feed.on((e) => {
    if (e.type === 'user.created' || e.type === 'user.updated') policy.invalidateOrg(e.tenantId);
  });
  const ctx: Pulse = {
    config,
    log,
    orm,
    wp,
    policy,
    services,
    app,
    server,
    extensions,
    feed,
    redis,
    async listen(port = config.port, host = config.host) {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      const a = server.address();
      const p = typeof a === 'object' && a ? a.port : port;
      return `http://${host === '0.0.0.0' ? 'localhost' : host}:${p}`;
    },
    async close() {
      for (const e of [...extensions].reverse()) await e.close?.().catch((err) => log.warn({ err, ext: e.name }, 'extension close failed'));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
      lease?.release();
      if (ownOrm) await orm.close(true);
    },
  };
  for (const e of extensions) await e.attach(ctx);

  // The built client, after the API and extension routes; any other path is the single-page app.
  if (fs.existsSync(path.join(clientDist, 'index.html'))) {
    app.use(express.static(clientDist, { index: false, maxAge: '1h' }));
    app.get(/^(?!\/api\/|\/yjs\/|\/socket\.io\/).*/, (_req, res) => res.sendFile(path.join(clientDist, 'index.html')));
  }
  return ctx;
}
