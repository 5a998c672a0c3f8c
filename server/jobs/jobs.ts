import crypto from 'node:crypto';
import PgBoss from 'pg-boss';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { WritePath } from '../db/write.js';
import type { Logger } from '../log.js';
import type { JobRecord } from '../../shared/schemas.js';
import { bossDb } from './boss-db.js';
import type { JobControl, JobKind } from './job.js';
import { insertJob, loadJob, saveJob, toJobRecord, type JobRow } from './job.queries.js';

export interface JobsOptions {
  /** How often each node's workers look for queued jobs (pg-boss polls; a start on this node wakes its worker at once). */
  pollSeconds?: number;
  /** Progress pushes while a job runs (default 1 s). */
  progressEveryMs?: number;
}

/** Who starts a job: the user it reports to (null for the system), in a tenant. */
export interface JobStarter {
  tenantId: string;
  userId: string | null;
}

/**
 * Background jobs on pg-boss, on the same database (PostgreSQL or the embedded PGlite, through
 * bossDb). pg-boss owns execution: queues, fetching with `skip locked`, retries with backoff, expiry
 * of jobs whose node died. The `jobs` table owns the public record (GET /api/jobs/:id), and every change
 * of it is written together with a `job.progress` notice to the starter, so it reaches their sockets on
 * any node and is replayed after a reconnect.
 */
export class Jobs {
  private boss: PgBoss;
  private kinds = new Map<string, JobKind>();
  private workers = new Map<string, string>();
  private started = false;
  running = 0;
  completed = 0;
  failed = 0;

  constructor(
    orm: MikroORM,
    private wp: WritePath,
    private log: Logger,
    private opts: JobsOptions = {},
  ) {
    this.boss = new PgBoss({ db: bossDb(orm), schema: 'pgboss', supervise: true, schedule: false, migrate: true } as PgBoss.ConstructorOptions);
    this.boss.on('error', (err) => this.log.warn({ err }, 'pg-boss error'));
  }

  async start(): Promise<void> {
    await this.boss.start();
    this.started = true;
    for (const k of this.kinds.values()) await this.listen(k);
  }

  async define(kind: JobKind): Promise<void> {
    if (this.kinds.has(kind.kind)) throw new Error(`job kind '${kind.kind}' is defined twice`);
    this.kinds.set(kind.kind, kind);
    if (this.started) await this.listen(kind);
  }

  private async listen(k: JobKind): Promise<void> {
    const options = {
      retryLimit: k.retryLimit ?? 3,
      retryDelay: k.retryDelaySeconds ?? 1,
      retryBackoff: true,
      expireInSeconds: k.expireInSeconds ?? 15 * 60,
    };
    if (!(await this.boss.getQueue(k.kind))) {
      // Nodes starting together may race to create it; the loser finds it there.
      try {
        await this.boss.createQueue(k.kind, { name: k.kind, ...options });
      } catch (err) {
        if (!(await this.boss.getQueue(k.kind))) throw err;
      }
    }
    const id = await this.boss.work<{ jobId: string }>(
      k.kind,
      { pollingIntervalSeconds: this.opts.pollSeconds ?? 1, batchSize: 1, includeMetadata: true },
      async ([job]) => this.execute(k, job.data.jobId, job.retryCount, job.retryLimit),
    );
    this.workers.set(k.kind, id);
  }

  /** Records the job and queues it; returns its id for GET /api/jobs/:id. */
  async enqueue(starter: JobStarter, kind: string, data: unknown): Promise<string> {
    const k = this.kinds.get(kind);
    if (!k) throw new Error(`unknown job kind '${kind}'`);
    const id = crypto.randomUUID();
    await insertJob(this.wp.read(), { id, tenantId: starter.tenantId, kind, startedBy: starter.userId, data });
    try {
      await this.boss.send(
        kind,
        { jobId: id },
        {
          id,
          retryLimit: k.retryLimit ?? 3,
          retryDelay: k.retryDelaySeconds ?? 1,
          retryBackoff: true,
          expireInSeconds: k.expireInSeconds ?? 15 * 60,
        },
      );
    } catch (err) {
      await saveJob(this.wp.read(), { id, kind, status: 'failed', total: 0, done: 0, failed: 0, error: 'could not be queued' });
      throw err;
    }
    const w = this.workers.get(kind);
    if (w) this.boss.notifyWorker(w);
    return id;
  }

  /** Writes the public record and pushes it to the starter as a `job.progress` notice, in one transaction. */
  private async publish(row: JobRow, k: JobKind, rec: JobRecord & { attempts?: number }): Promise<void> {
    await this.wp.write({ system: k.actor, tenantId: row.tenant_id }, async (tx) => {
      await saveJob(tx.em, rec);
      if (row.started_by) tx.notice('job.progress', 'job', row.id, toJobRecord(rec), [row.started_by]);
    });
  }

  private async execute(k: JobKind, jobId: string, retryCount: number, retryLimit: number): Promise<void> {
    const row = await loadJob(this.wp.read(), jobId);
    if (!row || row.status === 'cancelled' || row.status === 'done') return;
    const attempt = retryCount + 1;
    const rec: JobRecord & { attempts: number } = { ...toJobRecord(row), status: 'running', error: null, done: 0, failed: 0, attempts: attempt };
    let pushing: Promise<void> = this.publish(row, k, rec);
    // A push at least once a second while it runs, whether or not the counts moved (the client shows it is alive).
    const timer = setInterval(() => {
      pushing = pushing.then(() => this.publish(row, k, { ...rec })).catch((err) => this.log.warn({ err, jobId }, 'job progress push failed'));
    }, this.opts.progressEveryMs ?? 1000);
    const ctl: JobControl = {
      id: jobId,
      tenantId: row.tenant_id,
      startedBy: row.started_by,
      attempt,
      log: this.log.child({ job: jobId, kind: k.kind }),
      progress(p) {
        if (p.total !== undefined) rec.total = p.total;
        if (p.done !== undefined) rec.done = p.done;
        if (p.failed !== undefined) rec.failed = p.failed;
      },
    };
    this.running++;
    try {
      await pushing;
      await k.run(row.data, ctl);
      clearInterval(timer);
      await pushing.catch(() => {});
      rec.status = 'done';
      await this.publish(row, k, rec);
      this.completed++;
    } catch (err) {
      clearInterval(timer);
      await pushing.catch(() => {});
      const last = retryCount >= retryLimit;
      rec.status = last ? 'failed' : 'queued';
      rec.error = (err instanceof Error ? err.message : String(err)).slice(0, 2000);
      if (last) this.failed++;
      this.log.warn({ err, jobId, kind: k.kind, attempt, willRetry: !last }, 'job failed');
      await this.publish(row, k, rec).catch((e) => this.log.warn({ err: e, jobId }, 'job status write failed'));
      throw err;
    } finally {
      this.running--;
    }
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful: true, wait: true, timeout: 5000 });
  }
}
