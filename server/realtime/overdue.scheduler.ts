import type { WritePath } from '../db/write.js';
import type { ActivityService } from '../activities/activity.service.js';
import { toActivity, type ActivityRow } from '../activities/activity.repository.js';
import { rows } from '../db/sql.js';
import type { Logger } from '../log.js';

export interface OverdueOptions {
  /** How often each node looks for tasks whose due time has passed. */
  everyMs: number;
  /** Tasks claimed per tenant per transaction; a bigger backlog takes further passes. */
  batch: number;
}

const DUE = `type = 'TASK' and completed_at is null and overdue_notified_at is null and scheduled_at < now()`;

/**
 * Pushes `inbox.updated` (reason `overdue`) to a task's owner when its due time passes. Every node runs
 * one; a task fires once however many do, because firing is claiming: the transaction that sets
 * `overdue_notified_at` on the task's row (locked with skip locked, so nodes never wait on each other)
 * is the one that appends the event. The event goes through the write path, so it has a seq, is
 * replayable, and is delivered like any other. Rescheduling or reopening clears the mark (see
 * syncOverdueMark in activity.repository.ts), so the next passing of the due time fires again.
 */
export class OverdueScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** Passes completed (tests wait on it rather than on the clock). */
  ticks = 0;
  fired = 0;

  constructor(
    private wp: WritePath,
    private activities: ActivityService,
    private log: Logger,
    private opts: OverdueOptions,
  ) {}

  start() {
    this.timer = setInterval(() => {
      void this.tick();
    }, this.opts.everyMs);
    this.timer.unref();
  }

  /** One pass; never overlaps itself. */
  tick(): Promise<void> {
    if (this.running || this.stopped) return this.running ?? Promise.resolve();
    this.running = this.pass()
      .catch((err) => this.log.warn({ err }, 'overdue pass failed; the next one retries'))
      .finally(() => {
        this.ticks++;
        this.running = null;
      });
    return this.running;
  }

  private async pass(): Promise<void> {
    const tenants = await rows<{ tenant_id: string }>(this.wp.read(), `select distinct tenant_id from activities where ${DUE}`);
    for (const { tenant_id: tenantId } of tenants) {
      if (this.stopped) return;
      while (!this.stopped && (await this.claim(tenantId)) === this.opts.batch) {
        /* a backlog: keep going */
      }
    }
  }

  /** Marks and announces up to `batch` of the tenant's newly overdue tasks in one transaction; returns how many. */
  private async claim(tenantId: string): Promise<number> {
    // The scheduler writes as itself (a system actor), not as a made-up user: the outbox says who fired it.
    return this.wp.write({ system: 'overdue-scheduler', tenantId }, async (tx) => {
      // skip locked: a task another node is claiming, or a user is editing right now, is left to the next pass,
      // which sees it marked (claimed) or re-evaluates it (edited).
      const claimed = await rows<ActivityRow>(
        tx.em,
        `update activities set overdue_notified_at = now()
        where id in (select id from activities where tenant_id = ? and ${DUE} order by scheduled_at limit ? for update skip locked)
        returning *`,
        [tenantId, this.opts.batch],
      );
      for (const r of claimed) await this.activities.commands.emitInbox(tx, toActivity(r), 'overdue');
      this.fired += claimed.length;
      return claimed.length;
    });
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
