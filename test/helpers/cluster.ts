import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { Redis } from 'ioredis';
import type { Config } from '../../server/config.js';
import type { PulseExtension } from '../../server/extension.js';
import type { CreateOptions } from '../../server/app.js';
import { createTestDatabase, REDIS_URL } from './db.js';
import { startNode, type TestNode } from './server.js';
import { Api, createOrg, type Org } from './api.js';
import { connect, type LiveClient } from '../realtime/live-client.js';
import { rows } from '../../server/db/sql.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** Polls `f` every 50 ms until it returns something truthy (the test timeout is the only limit). */
export async function until<T>(f: () => Promise<T | false | undefined | null>): Promise<T> {
  for (;;) {
    const v = await f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A Redis server the test owns (own port, nothing persisted), so killing it disturbs no other test
 * file. `stop()` is a SIGKILL, as an outage is; `start()` brings up an empty one on the same port.
 */
export class OwnRedis {
  private proc: ChildProcess | null = null;
  constructor(readonly port: number) {}
  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }
  get running() {
    return !!this.proc;
  }

  static async start(): Promise<OwnRedis> {
    const r = new OwnRedis(await freePort());
    await r.start();
    return r;
  }

  async start(): Promise<void> {
    this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const c = new Redis(this.url, { retryStrategy: () => 50, maxRetriesPerRequest: null });
    c.on('error', () => {});
    await c.ping();
    c.disconnect();
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p) return;
    this.proc = null;
    await new Promise<void>((r) => {
      p.once('exit', () => r());
      p.kill('SIGKILL');
    });
  }
}

export interface ClusterOptions {
  /** Nodes on the one database (default 2). */
  nodes?: number;
  /** true: the shared test Redis; 'own': an OwnRedis this file may kill; false: no Redis (in-process bus). */
  redis?: boolean | 'own';
  /** The extensions of node `i` (called once per node, so each gets fresh instances). */
  extensions?: (cfg: Config, i: number) => PulseExtension[] | Promise<PulseExtension[]>;
  /**
   * Labels of the orgs to create on the first node; the first is `org`, all are in `orgs` (default one, 'org').
   * Pass [] with `nodes: 0` (a file that starts its own nodes).
   */
  orgs?: string[];
  env?: Record<string, string>;
  create?: CreateOptions;
}

export interface Cluster {
  db: Awaited<ReturnType<typeof createTestDatabase>>;
  nodes: TestNode[];
  org: Org;
  orgs: Org[];
  /** The Redis URL the nodes use ('' without Redis). */
  redisUrl: string;
  /** Set with `redis: 'own'`. */
  redis: OwnRedis | null;
  /** Live clients opened through `open`, closed at teardown (push your own `connect`s here too). */
  clients: LiveClient[];
  /**
   * Run first at teardown, in order, before the clients and nodes close and the database goes: for what
   * a file opens itself (Yjs clients, child processes, its own connections, nodes it pushed to `nodes`).
   */
  teardown: (() => unknown)[];
  open(node: TestNode, auth: Record<string, unknown>, extra?: Record<string, unknown>): Promise<LiveClient>;
  api(node: TestNode, token?: string | null): Api;
  health(node: TestNode): Promise<any>;
}

/**
 * The multi-node test setup: a fresh database, `nodes` server nodes on it (sharing a Redis unless
 * `redis: false`), and the orgs (with their tenantId), made in beforeAll and torn down in afterAll
 * (`teardown`, clients, nodes, database, own Redis). Read the fields inside tests or a later beforeAll: they are filled once this one has run.
 */
export function useCluster(opts: ClusterOptions = {}): Cluster {
  const c = {
    nodes: [] as TestNode[],
    orgs: [] as Org[],
    clients: [] as LiveClient[],
    teardown: [] as (() => unknown)[],
    redisUrl: '',
    redis: null as OwnRedis | null,
    async open(node: TestNode, auth: Record<string, unknown>, extra: Record<string, unknown> = {}) {
      const lc = await connect(node.url, auth, extra);
      c.clients.push(lc);
      return lc;
    },
    api: (node: TestNode, token: string | null = null) => new Api(node.url, token),
    health: (node: TestNode) => new Api(node.url).get('/health').then((r) => r.body),
  } as Cluster;
  beforeAll(async () => {
    const mode = opts.redis ?? true;
    if (mode === 'own') {
      c.redis = await OwnRedis.start();
      c.redisUrl = c.redis.url;
    } else if (mode) c.redisUrl = REDIS_URL;
    c.db = await createTestDatabase();
    for (let i = 0; i < (opts.nodes ?? 2); i++) {
      c.nodes.push(
        await startNode({
          databaseUrl: c.db.url,
          redisUrl: c.redisUrl || null,
          env: opts.env,
          create: opts.create,
          extensions: opts.extensions ? (cfg) => opts.extensions!(cfg, i) : undefined,
        }),
      );
    }
    for (const label of opts.orgs ?? ['org']) {
      const org = await createOrg(c.nodes[0].url, label);
      // createOrg cannot fill it (GET /me does not say it); tests that write rows or enqueue jobs need it.
      org.tenantId ||= (await rows(c.nodes[0].pulse.wp.read(), 'select tenant_id from users where id = ?', [org.admin.id]))[0].tenant_id;
      c.orgs.push(org);
    }
    c.org = c.orgs[0];
  });
  afterAll(async () => {
    for (const f of c.teardown) await f();
    for (const lc of c.clients) lc.close();
    for (const n of c.nodes) await n.close();
    await c.db?.drop();
    await c.redis?.stop();
  });
  return c;
}
