import crypto from 'node:crypto';
import type { z } from 'zod';
import type { ActivityCreateInput, ActivityListQuery, ActivityPatchInput, ActivityRecord, Inbox, TimelineQuery } from '../../shared/schemas.js';
import type { Viewer } from '../auth/viewer.js';
import type { WritePath, Tx } from '../db/write.js';
import type { Visibility } from '../visibility/visibility.js';
import { one, rows, run, iso, isoOrNull, type Em } from '../db/sql.js';
import { keyset, pageOf } from '../db/keyset.js';
import { notFound, AppError } from '../http/errors.js';

export function toActivity(r: any): ActivityRecord {
  return {
    id: r.id, type: r.type, contactId: r.contact_id ?? null, dealId: r.deal_id ?? null, userId: r.user_id, subject: r.subject ?? null,
    body: r.body ?? null, scheduledAt: isoOrNull(r.scheduled_at), completedAt: isoOrNull(r.completed_at), createdAt: iso(r.created_at), updatedAt: iso(r.updated_at),
  };
}

/** Inserts an activity row (no checks, no events): shared by the activity service and stage moves. */
export async function insertActivity(em: Em, v: Viewer, a: { type: ActivityRecord['type']; contactId: string | null; dealId: string | null; subject?: string | null; body?: string | null; scheduledAt?: string | null; completedAt?: string | null }): Promise<ActivityRecord> {
  const id = crypto.randomUUID();
  // clock_timestamp(): a transaction that waited on a lock still stamps the activity when it happened.
  return toActivity(await one(em, `insert into activities (id, tenant_id, type, contact_id, deal_id, user_id, subject, body, scheduled_at, completed_at, created_at, updated_at)
    values (?, ?, ?, ?, ?, ?, ?, ?, ?::timestamptz, ?::timestamptz, clock_timestamp(), clock_timestamp()) returning *`,
    [id, v.tenantId, a.type, a.contactId, a.dealId, v.id, a.subject ?? null, a.body ?? null, a.scheduledAt ?? null, a.completedAt ?? null]));
}

/**
 * Keeps `overdue_notified_at` true to what the owner has been told after a write that changed a task's due
 * time or completion: a task that is overdue right now was just announced by this write's own inbox.updated
 * (it carries the overdue count), so it is marked told; one due in the future, or done, is cleared, so the
 * overdue scheduler (server/realtime/overdue.scheduler.ts) fires once when its new due time passes.
 */
export async function syncOverdueMark(em: Em, id: string): Promise<void> {
  await run(em, `update activities set overdue_notified_at = case when type = 'TASK' and completed_at is null and scheduled_at < now()
    then coalesce(overdue_notified_at, now()) else null end where id = ?`, [id]);
}

const TIMELINE_SORT = { expr: 'a.created_at', type: 'timestamptz' as const, dir: 'desc' as const };

export class ActivityService {
  constructor(private wp: WritePath, private vis: Visibility) {}

  /** Everyone who may see the activity: through its contact, its deal, or as its author. */
  async audience(em: Em, tenantId: string, a: ActivityRecord): Promise<string[]> {
    const owners = await rows<{ owner_id: string }>(em,
      `select owner_id from contacts where id = ? union select owner_id from deals where id = ?`,
      [a.contactId ?? '00000000-0000-0000-0000-000000000000', a.dealId ?? '00000000-0000-0000-0000-000000000000']);
    return this.vis.audience(em, tenantId, { owners: owners.map((o) => o.owner_id), contacts: [a.contactId], users: [a.userId] });
  }

  /** Tells a task's owner their inbox changed, with the overdue count the badge shows. */
  async emitInbox(tx: Tx, task: ActivityRecord, reason: string): Promise<void> {
    if (task.type !== 'TASK') return;
    const r = await one(tx.em, `select count(*)::int as n from activities where user_id = ? and type = 'TASK' and completed_at is null and scheduled_at < now()`, [task.userId]);
    tx.emit('inbox.updated', 'activity', task.id, { userId: task.userId, reason, task, overdueCount: Number(r.n) }, [task.userId]);
  }

  private async checkParents(em: Em, v: Viewer, contactId?: string | null, dealId?: string | null) {
    if (contactId) {
      const acc = await this.vis.contactAccess(em, v, contactId);
      if (!acc) throw new AppError(422, 'INVALID_REFERENCE', 'Contact does not exist', { path: 'contactId' });
      if (acc !== 'write') throw new AppError(403, 'READ_ONLY', 'This contact is shared with you read-only');
    }
    if (dealId && !(await this.vis.dealAccess(em, v, dealId))) throw new AppError(422, 'INVALID_REFERENCE', 'Deal does not exist', { path: 'dealId' });
  }

  async create(v: Viewer, input: z.output<typeof ActivityCreateInput>): Promise<ActivityRecord> {
    return this.wp.write(v, async (tx) => {
      await this.checkParents(tx.em, v, input.contactId, input.dealId);
      let contactId = input.contactId ?? null;
      // An activity logged on a deal also lands on the deal's contact timeline.
      if (!contactId && input.dealId) contactId = (await one(tx.em, 'select contact_id from deals where id = ?', [input.dealId]))?.contact_id ?? null;
      const rec = await insertActivity(tx.em, v, { ...input, contactId, dealId: input.dealId ?? null });
      if (rec.type === 'TASK' && rec.scheduledAt) await syncOverdueMark(tx.em, rec.id);
      tx.emit('activity.created', 'activity', rec.id, rec, await this.audience(tx.em, v.tenantId, rec));
      await this.emitInbox(tx, rec, 'created');
      return rec;
    });
  }

  async get(v: Viewer, id: string): Promise<ActivityRecord> {
    const em = this.wp.read();
    if (!(await this.vis.activityAccess(em, v, id))) throw notFound('Activity');
    return toActivity(await one(em, 'select * from activities where id = ?', [id]));
  }

  async patch(v: Viewer, id: string, input: z.output<typeof ActivityPatchInput>): Promise<ActivityRecord> {
    return this.wp.write(v, async (tx) => {
      const acc = await this.vis.activityAccess(tx.em, v, id);
      if (!acc) throw notFound('Activity');
      if (acc !== 'write') throw new AppError(403, 'READ_ONLY', 'You can read this activity but not change it');
      const before = toActivity(await one(tx.em, 'select * from activities where id = ? for update', [id]));
      const sets: string[] = []; const vals: unknown[] = [];
      if (input.subject !== undefined) { sets.push('subject = ?'); vals.push(input.subject); }
      if (input.body !== undefined) { sets.push('body = ?'); vals.push(input.body); }
      if (input.scheduledAt !== undefined) { sets.push('scheduled_at = ?::timestamptz'); vals.push(input.scheduledAt); }
      if (input.completedAt !== undefined) { sets.push('completed_at = ?::timestamptz'); vals.push(input.completedAt); }
      else if (input.completed !== undefined) sets.push(input.completed ? 'completed_at = coalesce(completed_at, now())' : 'completed_at = null');
      sets.push('updated_at = now()');
      await run(tx.em, `update activities set ${sets.join(', ')} where id = ?`, [...vals, id]);
      if (input.scheduledAt !== undefined || input.completedAt !== undefined || input.completed !== undefined) await syncOverdueMark(tx.em, id);
      const rec = toActivity(await one(tx.em, 'select * from activities where id = ?', [id]));
      tx.emit('activity.updated', 'activity', id, rec, await this.audience(tx.em, v.tenantId, rec));
      if (rec.completedAt !== before.completedAt) await this.emitInbox(tx, rec, rec.completedAt ? 'completed' : 'reopened');
      else if (rec.scheduledAt !== before.scheduledAt) await this.emitInbox(tx, rec, 'rescheduled');
      else if (rec.subject !== before.subject) await this.emitInbox(tx, rec, 'updated');
      return rec;
    });
  }

  async remove(v: Viewer, id: string): Promise<void> {
    await this.wp.write(v, async (tx) => {
      const acc = await this.vis.activityAccess(tx.em, v, id);
      if (!acc) throw notFound('Activity');
      if (acc !== 'write') throw new AppError(403, 'READ_ONLY', 'You can read this activity but not change it');
      const rec = toActivity(await one(tx.em, 'select * from activities where id = ? for update', [id]));
      const audience = await this.audience(tx.em, v.tenantId, rec);
      await run(tx.em, 'delete from activities where id = ?', [id]);
      tx.emit('activity.deleted', 'activity', id, { id, contactId: rec.contactId, dealId: rec.dealId }, audience);
      if (rec.type === 'TASK' && !rec.completedAt) await this.emitInbox(tx, rec, 'deleted');
    });
  }

  async list(v: Viewer, q: z.output<typeof ActivityListQuery>) {
    const em = this.wp.read();
    const vf = await this.vis.activities(em, v, 'a');
    const ks = keyset(TIMELINE_SORT, 'a.id', q.cursor);
    const where = [vf.sql, ks.where.sql]; const params = [...vf.params, ...ks.where.params];
    for (const [k, col] of [['type', 'type'], ['contactId', 'contact_id'], ['dealId', 'deal_id'], ['userId', 'user_id']] as const) {
      if (q[k]) { where.push(`a.${col} = ?`); params.push(q[k]); }
    }
    const found = await rows(em, `select a.*, ${ks.select} from activities a where ${where.join(' and ')} order by ${ks.orderBy} limit ?`, [...params, q.limit + 1]);
    return pageOf(found, q.limit, toActivity);
  }

  /** Newest first, keyset on (created_at, id). Visible parent means every activity on it is visible. */
  async timeline(v: Viewer, kind: 'contact' | 'deal', id: string, q: z.output<typeof TimelineQuery>) {
    const em = this.wp.read();
    const access = kind === 'contact' ? await this.vis.contactAccess(em, v, id) : await this.vis.dealAccess(em, v, id);
    if (!access) throw notFound(kind === 'contact' ? 'Contact' : 'Deal');
    const ks = keyset(TIMELINE_SORT, 'a.id', q.cursor);
    const where = [`a.${kind}_id = ?`, ks.where.sql]; const params: unknown[] = [id, ...ks.where.params];
    if (q.type) { where.push('a.type = ?'); params.push(q.type); }
    const found = await rows(em, `select a.*, ${ks.select} from activities a where ${where.join(' and ')} order by ${ks.orderBy} limit ?`, [...params, q.limit + 1]);
    return pageOf(found, q.limit, toActivity);
  }

  async inbox(v: Viewer): Promise<Inbox> {
    const em = this.wp.read();
    const open = `a.tenant_id = ? and a.user_id = ? and a.type = 'TASK' and a.completed_at is null`;
    const overdue = await rows(em, `select a.* from activities a where ${open} and a.scheduled_at < now() order by a.scheduled_at asc, a.id limit 500`, [v.tenantId, v.id]);
    const upcoming = await rows(em, `select a.* from activities a where ${open} and (a.scheduled_at >= now() or a.scheduled_at is null) order by a.scheduled_at asc nulls last, a.id limit 500`, [v.tenantId, v.id]);
    return { overdue: overdue.map(toActivity), upcoming: upcoming.map(toActivity) };
  }
}
