import crypto from 'node:crypto';
import type { ActivityRecord } from '../../shared/schemas.js';
import { one, run, iso, isoOrNull, type Em } from '../db/sql.js';

export interface ActivityRow {
  id: string;
  type: ActivityRecord['type'];
  contact_id: string | null;
  deal_id: string | null;
  user_id: string;
  subject: string | null;
  body: string | null;
  scheduled_at: Date | string | null;
  completed_at: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

export function toActivity(r: ActivityRow): ActivityRecord {
  return {
    id: r.id,
    type: r.type,
    contactId: r.contact_id ?? null,
    dealId: r.deal_id ?? null,
    userId: r.user_id,
    subject: r.subject ?? null,
    body: r.body ?? null,
    scheduledAt: isoOrNull(r.scheduled_at),
    completedAt: isoOrNull(r.completed_at),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export interface ActivityInsert {
  type: ActivityRecord['type'];
  contactId: string | null;
  dealId: string | null;
  userId: string;
  subject?: string | null;
  body?: string | null;
  scheduledAt?: string | null;
  completedAt?: string | null;
}

export const activityRepository = {
  async load(em: Em, id: string): Promise<ActivityRecord | null> {
    const r = await one<ActivityRow>(em, 'select * from activities where id = ?', [id]);
    return r ? toActivity(r) : null;
  },

  async lock(em: Em, id: string): Promise<ActivityRecord | null> {
    const r = await one<ActivityRow>(em, 'select * from activities where id = ? for update', [id]);
    return r ? toActivity(r) : null;
  },

  /** clock_timestamp(): a transaction that waited on a lock still stamps the activity when it happened. */
  async insert(em: Em, tenantId: string, a: ActivityInsert): Promise<ActivityRecord> {
    const r = await one<ActivityRow>(
      em,
      `insert into activities (id, tenant_id, type, contact_id, deal_id, user_id, subject, body, scheduled_at, completed_at, created_at, updated_at)
      values (?, ?, ?, ?, ?, ?, ?, ?, ?::timestamptz, ?::timestamptz, clock_timestamp(), clock_timestamp()) returning *`,
      [
        crypto.randomUUID(),
        tenantId,
        a.type,
        a.contactId,
        a.dealId,
        a.userId,
        a.subject ?? null,
        a.body ?? null,
        a.scheduledAt ?? null,
        a.completedAt ?? null,
      ],
    );
    return toActivity(r!);
  },

  async update(
    em: Em,
    id: string,
    p: { subject?: string | null; body?: string | null; scheduledAt?: string | null; completedAt?: string | null; completed?: boolean },
  ): Promise<void> {
    const sets: string[] = [];
    const vals: unknown[] = [];
    if (p.subject !== undefined) {
      sets.push('subject = ?');
      vals.push(p.subject);
    }
    if (p.body !== undefined) {
      sets.push('body = ?');
      vals.push(p.body);
    }
    if (p.scheduledAt !== undefined) {
      sets.push('scheduled_at = ?::timestamptz');
      vals.push(p.scheduledAt);
    }
    if (p.completedAt !== undefined) {
      sets.push('completed_at = ?::timestamptz');
      vals.push(p.completedAt);
    } else if (p.completed !== undefined) sets.push(p.completed ? 'completed_at = coalesce(completed_at, now())' : 'completed_at = null');
    sets.push('updated_at = now()');
    await run(em, `update activities set ${sets.join(', ')} where id = ?`, [...vals, id]);
  },

  async remove(em: Em, id: string): Promise<void> {
    await run(em, 'delete from activities where id = ?', [id]);
  },

  /**
   * Keeps `overdue_notified_at` true to what the owner has been told after a write that changed a task's due
   * time or completion: a task that is overdue right now was just announced by this write's own inbox.updated
   * (it carries the overdue count), so it is marked told; one due in the future, or done, is cleared, so the
   * overdue scheduler (server/realtime/overdue.scheduler.ts) fires once when its new due time passes.
   */
  async syncOverdueMark(em: Em, id: string): Promise<void> {
    await run(
      em,
      `update activities set overdue_notified_at = case when type = 'TASK' and completed_at is null and scheduled_at < now()
      then coalesce(overdue_notified_at, now()) else null end where id = ?`,
      [id],
    );
  },

  async overdueCount(em: Em, userId: string): Promise<number> {
    const r = await one<{ n: number }>(
      em,
      `select count(*)::int as n from activities where user_id = ? and type = 'TASK' and completed_at is null and scheduled_at < now()`,
      [userId],
    );
    return Number(r?.n ?? 0);
  },
};
