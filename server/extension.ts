import type http from 'node:http';
import type { Express } from 'express';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import type { WritePath } from './db/write.js';
import type { Policy } from './policy/policy.js';
import type { Services } from './services.js';
import type { EventFeed } from './events/feed.js';
import type { NodeRedis } from './redis/node-redis.js';

/** What an extension gets to hook into: the same pieces the REST API is built from. */
export interface PulseContext {
  config: Config;
  log: Logger;
  orm: MikroORM;
  wp: WritePath;
  /** The one policy module: who sees and may change what. */
  policy: Policy;
  services: Services;
  app: Express;
  server: http.Server;
  /** Committed events arriving at this node (filled by the live-event layer). */
  feed: EventFeed;
  /** The node's Redis connections and key namespace (server/redis/); null without REDIS_URL. */
  redis: NodeRedis | null;
}

/**
 * A feature that plugs into the server (the live event layer, co-edited notes, search) through a few
 * small hooks, in the spirit of Hocuspocus extensions: nothing is wired by magic.
 */
export interface PulseExtension {
  name: string;
  /** Called once the HTTP server exists, before it listens. */
  attach(ctx: PulseContext): Promise<void> | void;
  /** Merged into GET /api/health under the extension's name. */
  health?(): Promise<Record<string, unknown>> | Record<string, unknown>;
  /** Whether the node should report itself degraded. */
  degraded?(): boolean;
  close?(): Promise<void>;
}
