import { describe, expect, it } from 'vitest';
import { useNodeWithOrg } from '../helpers/server.js';

const ctx = useNodeWithOrg('outbox');

async function eventsSince(seq: number) {
  const em = ctx.node.pulse.wp.read();
  const t: any[] = await em.execute(`select tenant_id from users where id = ?`, [ctx.org.rep1.id]);
  const r: any[] = await em.execute(
    `select seq::int as seq, kind, type, entity_id, payload, audience::text[] as audience, before, changed::text[] as changed, actor_kind, actor_id, request_id from outbox_events where tenant_id = ? and seq > ? order by seq`,
    [t[0].tenant_id, seq],
  );
  return r.map((e) => ({ ...e, audience: typeof e.audience === 'string' ? e.audience.replace(/[{}]/g, '').split(',').filter(Boolean) : e.audience }));
}
async function lastSeq() {
  const e = await eventsSince(0);
  return e.length ? e[e.length - 1].seq : 0;
}

describe('outbox', () => {
  it('every mutation appends its events in the same transaction, with the REST shape and the right audience', async () => {
    const s0 = await lastSeq();
    const c = (await ctx.org.rep1.api.post('/contacts', { firstName: 'Evt' })).body;
    const d = (await ctx.org.rep1.api.post('/deals', { name: 'Evt deal', contactId: c.id, pipelineId: ctx.org.pipelineId })).body;
    const moved = (await ctx.org.rep1.api.post(`/deals/${d.id}/move`, { stageId: ctx.org.stages[2].id })).body;
    const task = (
      await ctx.org.rep1.api.post('/activities', {
        type: 'TASK',
        contactId: c.id,
        subject: 'follow up',
        scheduledAt: new Date(Date.now() + 3600_000).toISOString(),
      })
    ).body;
    await ctx.org.rep1.api.patch(`/activities/${task.id}`, { completed: true });
    await ctx.org.rep1.api.del(`/deals/${d.id}`);
    const ev = await eventsSince(s0);
    expect(ev.map((e) => e.type)).toEqual([
      'contact.created',
      'deal.created',
      'deal.moved',
      'activity.created',
      'activity.created',
      'inbox.updated',
      'activity.updated',
      'inbox.updated',
      'deal.deleted',
    ]);
    // Gap-free per tenant.
    for (const [i, e] of ev.entries()) expect(e.seq).toBe(s0 + 1 + i);
    expect(ev[0].payload).toEqual(c);
    expect(ev[2].payload).toMatchObject({ ...moved, fromStageId: ctx.org.stages[0].id });
    const ownerSide = [ctx.org.admin.id, ctx.org.manager.id, ctx.org.rep1.id].sort();
    for (const e of ev.filter((x) => x.type !== 'inbox.updated')) expect([...e.audience].sort()).toEqual(ownerSide);
    for (const e of ev.filter((x) => x.type === 'inbox.updated')) expect(e.audience).toEqual([ctx.org.rep1.id]);
    expect(ev[7].payload).toMatchObject({ reason: 'completed', userId: ctx.org.rep1.id, overdueCount: 0 });
  });

  it('a share adds the shared user to the contact’s audience', async () => {
    const c = (await ctx.org.rep2.api.post('/contacts', { firstName: 'Shared' })).body;
    await ctx.org.rep2.api.post(`/contacts/${c.id}/shares`, { userId: ctx.org.solo.id, permission: 'READ' });
    const s0 = await lastSeq();
    await ctx.org.rep2.api.patch(`/contacts/${c.id}`, { jobTitle: 'VP' });
    const [e] = await eventsSince(s0);
    expect(e.type).toBe('contact.updated');
    expect([...e.audience].sort()).toEqual([ctx.org.admin.id, ctx.org.manager.id, ctx.org.rep2.id, ctx.org.solo.id].sort());
  });

  it('reassigning a deal is a fact with what changed, plus access notices to exactly those whose sight changed (never a deletion)', async () => {
    const d = (await ctx.org.rep1.api.post('/deals', { name: 'Handover', pipelineId: ctx.org.pipelineId })).body;
    const s0 = await lastSeq();
    expect((await ctx.org.admin.api.patch(`/deals/${d.id}`, { ownerId: ctx.org.solo.id })).status).toBe(200);
    const ev = await eventsSince(s0);
    expect(ev.map((e) => [e.type, e.kind])).toEqual([
      ['deal.updated', 'fact'],
      ['access.lost', 'notice'],
      ['access.granted', 'notice'],
    ]);
    expect([...ev[0].audience].sort()).toEqual([ctx.org.admin.id, ctx.org.solo.id].sort());
    expect(ev[0].changed).toEqual(['ownerId']);
    expect(ev[0].before).toEqual({ ownerId: ctx.org.rep1.id });
    expect([ev[0].actor_kind, ev[0].actor_id]).toEqual(['user', ctx.org.admin.id]);
    expect(ev[0].request_id).toMatch(/.+/);
    expect([...ev[1].audience].sort()).toEqual([ctx.org.manager.id, ctx.org.rep1.id].sort());
    expect(ev[1].payload).toEqual({
      entityType: 'deal',
      entityId: d.id,
      reason: 'reassigned',
      toOwnerId: ctx.org.solo.id,
      pipelineId: d.pipelineId,
      stageId: d.stageId,
    });
    expect(ev[2].audience).toEqual([ctx.org.solo.id]);
    expect(ev.some((e) => e.type.endsWith('.deleted'))).toBe(false);
  });

  it('a failed mutation appends nothing', async () => {
    const s0 = await lastSeq();
    const d = (await ctx.org.rep1.api.post('/deals', { name: 'x', pipelineId: ctx.org.pipelineId })).body;
    const s1 = await lastSeq();
    expect(s1).toBe(s0 + 1);
    expect((await ctx.org.rep1.api.post(`/deals/${d.id}/move`, { stageId: d.stageId, version: 99 })).status).toBe(409);
    expect((await ctx.org.rep2.api.patch(`/deals/${d.id}`, { name: 'y' })).status).toBe(404);
    expect(await lastSeq()).toBe(s1);
  });

  it('concurrent writers get distinct, gap-free sequence numbers', async () => {
    const s0 = await lastSeq();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => [ctx.org.rep1, ctx.org.rep2, ctx.org.manager][i % 3].api.post('/contacts', { firstName: 'C' + i })),
    );
    const ev = await eventsSince(s0);
    expect(ev.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => s0 + 1 + i));
  });
});
