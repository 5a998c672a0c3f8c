import type { z } from 'zod';
import type { ActivityCreateInput, ActivityListQuery, ActivityPatchInput, ActivityRecord, Inbox, TimelineQuery } from '../../shared/schemas.js';
import type { Viewer } from '../auth/viewer.js';
import type { WritePath } from '../db/write.js';
import type { Policy } from '../policy/policy.js';
import { rows, type Em } from '../db/sql.js';
import { keyset, pageOf } from '../db/keyset.js';
import { notFound } from '../http/errors.js';
import { activityRepository as repo, toActivity, type ActivityRow } from './activity.repository.js';
import { ActivityCommands } from './activity.commands.js';

const TIMELINE_SORT = { expr: 'a.created_at', type: 'timestamptz' as const, dir: 'desc' as const };
type Page = { items: ActivityRecord[]; nextCursor: string | null };

/** Reads of activities, and the transactions their commands run in. */
export class ActivityService {
  readonly commands: ActivityCommands;
  constructor(
    private wp: WritePath,
    private policy: Policy,
  ) {
    this.commands = new ActivityCommands(policy);
  }

  create(v: Viewer, input: z.output<typeof ActivityCreateInput>) {
    return this.wp.write(v, (tx) => this.commands.create(tx, input));
  }
  patch(v: Viewer, id: string, input: z.output<typeof ActivityPatchInput>) {
    return this.wp.write(v, (tx) => this.commands.patch(tx, id, input));
  }
  async remove(v: Viewer, id: string): Promise<void> {
    await this.wp.write(v, (tx) => this.commands.remove(tx, id));
  }

  async get(v: Viewer, id: string): Promise<ActivityRecord> {
    const em = this.wp.read();
    if (!(await this.policy.activityAccess(em, v, id))) throw notFound('Activity');
    return { ...(await repo.load(em, id))!, abilities: await this.policy.abilities(em, v, { type: 'activity', id }) };
  }

  private async withAbilities(em: Em, v: Viewer, page: Page): Promise<Page> {
    const ab = await this.policy.abilitiesFor(em, v, 'activity', page.items);
    return { ...page, items: page.items.map((a) => ({ ...a, abilities: ab.get(a.id) })) };
  }

  async list(v: Viewer, q: z.output<typeof ActivityListQuery>) {
    const em = this.wp.read();
    const vf = await this.policy.activities(em, v, 'a');
    const ks = keyset(TIMELINE_SORT, 'a.id', q.cursor);
    const where = [vf.sql, ks.where.sql];
    const params = [...vf.params, ...ks.where.params];
    for (const [k, col] of [
      ['type', 'type'],
      ['contactId', 'contact_id'],
      ['dealId', 'deal_id'],
      ['userId', 'user_id'],
    ] as const) {
      if (q[k]) {
        where.push(`a.${col} = ?`);
        params.push(q[k]);
      }
    }
    const found = await rows<ActivityRow & { _sort: string }>(
      em,
      `select a.*, ${ks.select} from activities a where ${where.join(' and ')} order by ${ks.orderBy} limit ?`,
      [...params, q.limit + 1],
    );
    return this.withAbilities(em, v, pageOf(found, q.limit, toActivity));
  }

  /** Newest first, keyset on (created_at, id). Visible parent means every activity on it is visible. */
  async timeline(v: Viewer, kind: 'contact' | 'deal', id: string, q: z.output<typeof TimelineQuery>) {
    const em = this.wp.read();
    const access = kind === 'contact' ? await this.policy.contactAccess(em, v, id) : await this.policy.dealAccess(em, v, id);
    if (!access) throw notFound(kind === 'contact' ? 'Contact' : 'Deal');
    const ks = keyset(TIMELINE_SORT, 'a.id', q.cursor);
    const where = [`a.${kind}_id = ?`, ks.where.sql];
    const params: unknown[] = [id, ...ks.where.params];
    if (q.type) {
      where.push('a.type = ?');
      params.push(q.type);
    }
    const found = await rows<ActivityRow & { _sort: string }>(
      em,
      `select a.*, ${ks.select} from activities a where ${where.join(' and ')} order by ${ks.orderBy} limit ?`,
      [...params, q.limit + 1],
    );
    return this.withAbilities(em, v, pageOf(found, q.limit, toActivity));
  }

  async inbox(v: Viewer): Promise<Inbox> {
    const em = this.wp.read();
    const open = `a.tenant_id = ? and a.user_id = ? and a.type = 'TASK' and a.completed_at is null`;
    const overdue = await rows<ActivityRow>(
      em,
      `select a.* from activities a where ${open} and a.scheduled_at < now() order by a.scheduled_at asc, a.id limit 500`,
      [v.tenantId, v.id],
    );
    const upcoming = await rows<ActivityRow>(
      em,
      `select a.* from activities a where ${open} and (a.scheduled_at >= now() or a.scheduled_at is null) order by a.scheduled_at asc nulls last, a.id limit 500`,
      [v.tenantId, v.id],
    );
    return { overdue: overdue.map(toActivity), upcoming: upcoming.map(toActivity) };
  }
}
