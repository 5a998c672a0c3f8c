import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import cookieParser from 'cookie-parser';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Redis } from 'ioredis';
import type { Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import { createOrm } from './db/orm.js';
import { migrate } from './db/migrate.js';
import { WritePath } from './db/write.js';
import { Policy } from './policy/policy.js';
import { createServices, type Services } from './services.js';
import { errorHandler, AppError, errorBody } from './http/errors.js';
import { openApiDocument } from './http/openapi.js';
import { route } from './http/route.js';
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
import { auditRoutes } from './consumers/audit.routes.js';
import { jobRoutes } from './jobs/job.routes.js';
import type { PulseContext, PulseExtension } from './extension.js';
import { EventFeed } from './events/feed.js';

const clientDist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../client/dist');

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
  // Login limits are shared across nodes through Redis when there is one.
  const limiterRedis = config.redisUrl ? new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false }) : null;
  limiterRedis?.on('error', () => {});
  // Per account: few tries. Per address: more, since offices share one address.
  const loginLimit = opts.loginLimit ?? { max: 10, windowMs: 15 * 60_000 };
  const limiter = {
    account: new RateLimiter({ prefix: 'pulse:rl:acct', ...loginLimit }, limiterRedis),
    address: new RateLimiter({ prefix: 'pulse:rl:addr', max: loginLimit.max * 20, windowMs: loginLimit.windowMs }, limiterRedis),
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use((req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    next();
  });
  app.use(requestId());
  app.use(cookieParser());
  app.use('/api', express.json({ limit: '256kb', strict: true }));

  const pub = express.Router();
  const priv = express.Router();
  const extensions = opts.extensions ?? [];

  route(pub, { method: 'get', path: '/health', summary: 'Node health: database, bus and extensions', tag: 'meta', auth: false }, async ({ res }) => {
    const out: Record<string, unknown> = { status: 'ok', node: config.nodeId };
    try { await wp.read().execute('select 1'); out.database = 'ok'; } catch { out.database = 'down'; out.status = 'degraded'; }
    for (const e of extensions) {
      if (e.health) out[e.name] = await e.health();
      if (e.degraded?.()) out.status = 'degraded';
    }
    res.status(out.database === 'ok' ? 200 : 503).json(out);
  });
  route(pub, { method: 'get', path: '/openapi.json', summary: 'This document', tag: 'meta', auth: false }, async () => openApiDocument());
  // The login page lists the demo logins only where the demo tenant is seeded (the embedded default).
  route(pub, { method: 'get', path: '/auth/demo', summary: 'Whether this node seeds the demo tenant', tag: 'auth', auth: false }, async () => ({ demo: config.seedDemo }));

  authRoutes(pub, priv, services.auth, services.users, limiter, { cookieSecure: config.cookieSecure, sessionTtlMs: config.sessionTtlMs });
  userRoutes(priv, services.users);
  companyRoutes(priv, services.companies);
  contactRoutes(priv, services.contacts, services.activities);
  dealRoutes(priv, services.deals, services.activities);
  pipelineRoutes(priv, services.pipelines, services.deals);
  activityRoutes(priv, services.activities);
  customFieldRoutes(priv, services.customFields);
  auditRoutes(priv, wp);
  jobRoutes(priv, wp);

  app.use('/api', pub);
  app.use('/api', requireAuth(services.auth), priv);
  app.use('/api', (_req, res) => { res.status(404).json(errorBody(new AppError(404, 'NOT_FOUND', 'No such route'))); });
  app.use(errorHandler(log));

  const server = http.createServer(app);
  const feed = new EventFeed();
  // Org changes made on any node reach every node's visibility cache through the feed.
  feed.on((e) => { if (e.type === 'user.created' || e.type === 'user.updated') policy.invalidateOrg(e.tenantId); });
  const ctx: Pulse = {
    config, log, orm, wp, policy, services, app, server, extensions, feed,
    async listen(port = config.port, host = config.host) {
      await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, host, () => resolve()); });
      const a = server.address();
      const p = typeof a === 'object' && a ? a.port : port;
      return `http://${host === '0.0.0.0' ? 'localhost' : host}:${p}`;
    },
    async close() {
      for (const e of [...extensions].reverse()) await e.close?.().catch((err) => log.warn({ err, ext: e.name }, 'extension close failed'));
      await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections?.(); });
      limiterRedis?.disconnect();
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
