import { beforeAll, describe, expect, it } from 'vitest';
import type { TestNode } from '../helpers/server.js';
import type { Org } from '../helpers/api.js';
import { useCluster } from '../helpers/cluster.js';
import { realtimeExtension } from '../../server/realtime/realtime.extension.js';
import { pgArray, rows, run } from '../../server/db/sql.js';
import { connect, type LiveClient } from './live-client.js';

// Both nodes' schedulers run often, so they race for the same tasks.
const cluster = useCluster({ nodes: 2, orgs: ['overdue'], extensions: () => [realtimeExtension({ overdueEveryMs: 40 })] });
let a: TestNode;
let b: TestNode;
let org: Org;
const clients: LiveClient[] = cluster.clients;
beforeAll(() => {
  ({
    org,
    nodes: [a, b],
  } = cluster);
});

const open = async (node: TestNode, token: string, auth: Record<string, unknown> = {}) => {
  const c = await connect(node.url, { token, ...auth });
  clients.push(c);
  return c;
};
const scheduler = (n: TestNode) => (n.pulse.extensions.find((e) => e.name === 'realtime') as ReturnType<typeof realtimeExtension>).parts!.overdue!;
const inSoon = (ms: number) => new Date(Date.now() + ms).toISOString();
const LATER = () => inSoon(3600_000);
/**
 * Brings tasks' due time to `ms` from the database's now, in one statement. The tasks are created due an
 * hour out and moved here, so a slow REST call on a loaded machine cannot make one "born overdue" (which
 * the create itself announces) instead of becoming overdue while the schedulers watch.
 */
const dueIn = (ids: string[], ms: number) =>
  run(a.pulse.wp.read(), `update activities set scheduled_at = now() + (? * interval '1 millisecond') where id = any(?::uuid[])`, [ms, pgArray(ids)]);
const isOverdue = (taskId: string) => (e: { type: string; data: any }) =>
  e.type === 'inbox.updated' && e.data.reason === 'overdue' && e.data.task.id === taskId;
const overdueOf = (c: LiveClient, taskId: string) => c.events.filter(isOverdue(taskId));

async function contactOf(who: Org['rep1']) {
  const r = await who.api.post('/contacts', { firstName: 'Due', lastName: 'Soon' });
  expect(r.status).toBe(201);
  return r.body.id as string;
}
async function task(who: Org['rep1'], contactId: string, scheduledAt: string | null, subject = 'Call back') {
  const r = await who.api.post('/activities', { type: 'TASK', contactId, subject, scheduledAt });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; userId: string };
}
/** Resolves once every scheduler has finished `passes` more passes from now (each started after this call). */
async function passesOnBothNodes(passes = 2) {
  const target = [a, b].map((n) => scheduler(n).ticks + passes);
  await new Promise<void>((r) => {
    const t = () => ([a, b].every((n, i) => scheduler(n).ticks >= target[i]) ? r() : setTimeout(t, 20));
    t();
  });
}
/** Every `inbox.updated` with reason overdue the outbox holds for a task: what any node delivered or will replay. */
const outboxOverdue = (taskId: string) =>
  rows(
    a.pulse.wp.read(),
    `select seq, audience, kind, actor_kind, actor_id, actor_name from outbox_events where type = 'inbox.updated' and entity_id = ? and payload->>'reason' = 'overdue'`,
    [taskId],
  );

describe('overdue tasks across two nodes', () => {
  it('pushes one inbox.updated (overdue) per task to its owner only, however many schedulers run', async () => {
    const [rep1, rep2, manager, admin, solo] = [
      await open(b, org.rep1.token),
      await open(a, org.rep2.token),
      await open(a, org.manager.token),
      await open(b, org.admin.token),
      await open(a, org.solo.token),
    ];
    const [c1, c2] = [await contactOf(org.rep1), await contactOf(org.rep2)];
    const mine: { id: string }[] = [];
    const theirs: { id: string }[] = [];
    for (let i = 0; i < 6; i++) mine.push(await task(org.rep1, c1, LATER(), `rep1 task ${i}`));
    for (let i = 0; i < 3; i++) theirs.push(await task(org.rep2, c2, LATER(), `rep2 task ${i}`));
    await dueIn(
      [...mine, ...theirs].map((t) => t.id),
      300,
    );

    await rep1.until((c) => mine.every((t) => overdueOf(c, t.id).length > 0));
    await rep2.until((c) => theirs.every((t) => overdueOf(c, t.id).length > 0));
    // Let both nodes' schedulers look again after every task was claimed, then write markers: each
    // socket's stream is in seq order, so once a marker arrives anything fired before it is there too.
    await passesOnBothNodes();
    const [m1, m2, m3] = [
      await task(org.rep1, c1, null, 'marker'),
      await task(org.rep2, c2, null, 'marker'),
      await task(org.solo, await contactOf(org.solo), null, 'marker'),
    ];
    const markerIn = (c: LiveClient, id: string) => c.untilEvent((e) => e.data?.id === id || e.data?.task?.id === id);
    await Promise.all([
      markerIn(rep1, m1.id),
      markerIn(rep2, m2.id),
      markerIn(manager, m1.id),
      markerIn(manager, m2.id),
      markerIn(admin, m1.id),
      markerIn(admin, m3.id),
      markerIn(solo, m3.id),
    ]);

    for (const t of mine) {
      const got = overdueOf(rep1, t.id);
      expect(got.length).toBe(1);
      expect(got[0].data).toMatchObject({
        userId: org.rep1.id,
        reason: 'overdue',
        task: { id: t.id, userId: org.rep1.id, completedAt: null },
        overdueCount: 6,
      });
      const stored = await outboxOverdue(t.id);
      expect(stored.length).toBe(1);
      expect(stored[0].audience).toEqual([org.rep1.id]);
      // The scheduler writes as itself: a system actor with no user id, and the inbox update is a per-user notice.
      expect([stored[0].kind, stored[0].actor_kind, stored[0].actor_id, stored[0].actor_name]).toEqual([
        'notice',
        'system',
        null,
        'overdue-scheduler',
      ]);
    }
    for (const t of theirs) expect(overdueOf(rep2, t.id).length).toBe(1);
    // Managers and admins see the tasks' activity events, but the inbox is the owner's alone.
    for (const c of [manager, admin, solo]) expect(c.events.filter((e) => e.type === 'inbox.updated' && e.data.reason === 'overdue')).toEqual([]);
    expect(rep1.events.some((e) => e.type === 'inbox.updated' && e.data.userId !== org.rep1.id)).toBe(false);
    expect(rep2.events.some((e) => e.type === 'inbox.updated' && e.data.userId !== org.rep2.id)).toBe(false);
    expect(manager.events.some((e) => e.type === 'activity.created' && e.data.id === mine[0].id)).toBe(true);
    // Each socket's stream stays gap-free for what it may see, and ordered.
    expect(rep1.seqs).toEqual([...rep1.seqs].sort((x, y) => x - y));
    expect(scheduler(a).fired + scheduler(b).fired).toBe(9);

    // The overdue events have seqs like any other: a reconnect replays them.
    const again = await open(a, org.rep1.token, { lastSeq: rep1.ready!.seq });
    expect(
      again.events
        .filter((e) => e.type === 'inbox.updated' && e.data.reason === 'overdue')
        .map((e) => e.data.task.id)
        .sort(),
    ).toEqual(mine.map((t) => t.id).sort());
  });

  it('fires again after a reschedule into the future, never for a task done in time or born overdue', async () => {
    const rep1 = await open(a, org.rep1.token);
    const c1 = await contactOf(org.rep1);
    const x = await task(org.rep1, c1, LATER(), 'reschedule me');
    await dueIn([x.id], 100);
    await rep1.until((c) => overdueOf(c, x.id).length === 1);
    await passesOnBothNodes();

    // Rescheduled into the future over REST (which clears the mark), then that time passes too.
    const r = await org.rep1.api.patch(`/activities/${x.id}`, { scheduledAt: LATER() });
    expect(r.status).toBe(200);
    await rep1.untilEvent((e) => e.type === 'inbox.updated' && e.data.reason === 'rescheduled' && e.data.task.id === x.id);
    const done = await task(org.rep1, c1, LATER(), 'done in time');
    expect((await org.rep1.api.patch(`/activities/${done.id}`, { completed: true })).status).toBe(200);
    const born = await task(org.rep1, c1, new Date(Date.now() - 60_000).toISOString(), 'already late');
    const later = await task(org.rep1, c1, LATER(), 'later');
    await dueIn([x.id, done.id], 100);
    // Due after the others: once it fired, the passes that would have fired them have run.
    await dueIn([later.id], 300);
    await rep1.until((c) => overdueOf(c, later.id).length === 1);
    await rep1.until((c) => overdueOf(c, x.id).length === 2);
    await passesOnBothNodes();
    const marker = await task(org.rep1, c1, null, 'marker 2');
    await rep1.untilEvent((e) => e.data?.task?.id === marker.id);

    expect(overdueOf(rep1, x.id).length).toBe(2);
    expect((await outboxOverdue(x.id)).length).toBe(2);
    expect(overdueOf(rep1, done.id)).toEqual([]);
    expect(overdueOf(rep1, born.id)).toEqual([]);
    // Born overdue: the create itself told the owner (and counted it).
    const created = rep1.events.find((e) => e.type === 'inbox.updated' && e.data.reason === 'created' && e.data.task.id === born.id);
    expect(created?.data.overdueCount).toBeGreaterThanOrEqual(1);
    expect(await outboxOverdue(done.id)).toEqual([]);
    expect(await outboxOverdue(born.id)).toEqual([]);
  });

  it('fires for a reopened task when its due time passes, but not for one reopened already overdue', async () => {
    const rep1 = await open(b, org.rep1.token);
    const c1 = await contactOf(org.rep1);
    const [fresh, late] = [await task(org.rep1, c1, LATER(), 'reopen, still ahead'), await task(org.rep1, c1, LATER(), 'reopen, already late')];
    for (const t of [fresh, late]) expect((await org.rep1.api.patch(`/activities/${t.id}`, { completed: true })).status).toBe(200);
    await dueIn([late.id], -60_000);
    for (const t of [fresh, late]) expect((await org.rep1.api.patch(`/activities/${t.id}`, { completed: false })).status).toBe(200);
    const reopened = await rep1.untilEvent((e) => e.type === 'inbox.updated' && e.data.reason === 'reopened' && e.data.task.id === late.id);
    expect(reopened.data.overdueCount).toBeGreaterThanOrEqual(1);
    await dueIn([fresh.id], 100);
    await rep1.until((c) => overdueOf(c, fresh.id).length === 1);
    await passesOnBothNodes();
    const marker = await task(org.rep1, c1, null, 'marker 3');
    await rep1.untilEvent((e) => e.data?.task?.id === marker.id);
    expect(overdueOf(rep1, fresh.id).length).toBe(1);
    expect(overdueOf(rep1, late.id)).toEqual([]);
  });

  it('reports the scheduler in health', async () => {
    const h = await org.api.get('/health');
    expect(h.body.realtime.overdueFired).toEqual(expect.any(Number));
  });
});
