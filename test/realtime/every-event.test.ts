import { beforeAll, describe, expect, it } from 'vitest';
import type { TestNode } from '../helpers/server.js';
import type { Org } from '../helpers/api.js';
import { useCluster } from '../helpers/cluster.js';
import { realtimeExtension } from '../../server/realtime/realtime.extension.js';
import type { CommittedEvent } from '../../server/events/outbox.js';
import type { EventEnvelope } from '../../shared/events.js';
import { connect, type LiveClient } from './live-client.js';

/**
 * "A rep never receives an event about a record they cannot read over REST", for every record event
 * type, on two nodes. Each step is a REST write; around it, every rep's REST access to every record the
 * test has touched is checked. An event may reach a rep only if the rep could read its record right
 * before the step (deletions, lost access) or right after it (creations, changes).
 */
const cluster = useCluster({ nodes: 2, orgs: ['every'], extensions: () => [realtimeExtension({ overdueEveryMs: 0 })] });
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

type Kind = 'deal' | 'contact' | 'company' | 'activity';
const COVERED = [
  'deal.created',
  'deal.updated',
  'deal.moved',
  'deal.deleted',
  'contact.created',
  'contact.updated',
  'contact.deleted',
  'company.created',
  'company.updated',
  'company.deleted',
  'activity.created',
  'activity.updated',
  'activity.deleted',
  'inbox.updated',
  'share.created',
  'share.deleted',
];

/** The record an event is about, as REST addresses it. */
function recordOf(type: string, data: any): { kind: Kind; id: string } {
  if (type === 'inbox.updated') return { kind: 'activity', id: data.task.id };
  if (type.startsWith('share.')) return { kind: 'contact', id: data.contactId };
  const kind = type.split('.')[0] as Kind;
  return { kind, id: data.id };
}
const path = (r: { kind: Kind; id: string }) =>
  `/${r.kind === 'company' ? 'companies' : r.kind === 'activity' ? 'activities' : r.kind + 's'}/${r.id}`;

describe('no event about a record a rep cannot read, for every event type, on two nodes', () => {
  it('holds across creates, changes, moves, tasks, shares, reassignments and deletions', async () => {
    const reps = { rep1: org.rep1, rep2: org.rep2, solo: org.solo };
    type RepName = keyof typeof reps;
    // Every rep on both nodes; the manager too, as the positive control for the team's records.
    const sockets: { rep: RepName; c: LiveClient }[] = [];
    for (const rep of Object.keys(reps) as RepName[])
      for (const n of [a, b]) {
        const c = await connect(n.url, { token: reps[rep].token });
        clients.push(c);
        sockets.push({ rep, c });
      }

    const records = new Map<string, { kind: Kind; id: string }>();
    const readable = new Map<string, boolean>(); // `${rep}|${kind}:${id}` -> could read now
    const key = (rep: string, r: { kind: Kind; id: string }) => `${rep}|${r.kind}:${r.id}`;
    const bySeq = new Map<number, { e: CommittedEvent; step: number }>();
    const may = new Map<string, boolean>(); // `${step}|${rep}|${kind}:${id}` -> readable before or after the step
    let step = 0;
    const listen = (e: CommittedEvent[]) => {
      for (const x of e) bySeq.set(x.seq, { e: x, step });
    };
    const offs = [a, b].map((n) => n.pulse.wp.onCommit(listen));

    const check = async () => {
      const out = new Map<string, boolean>();
      await Promise.all(
        [...records.values()].flatMap((r) =>
          (Object.keys(reps) as RepName[]).map(async (rep) => {
            const res = await reps[rep].api.get(path(r));
            if (res.status !== 200 && res.status !== 404) throw new Error(`GET ${path(r)} as ${rep}: ${res.status}`);
            out.set(key(rep, r), res.status === 200);
          }),
        ),
      );
      return out;
    };
    /** One REST write as a step: records what each rep could read just before and just after it. */
    const act = async <T>(fn: () => Promise<{ status: number; body: T }>, expected = [200, 201, 204]): Promise<T> => {
      step++;
      const res = await fn();
      expect(expected, JSON.stringify(res.body)).toContain(res.status);
      for (const [, v] of bySeq)
        if (v.step === step && COVERED.includes(v.e.type)) {
          const r = recordOf(v.e.type, v.e.data);
          records.set(`${r.kind}:${r.id}`, r);
        }
      const after = await check();
      for (const r of records.values())
        for (const rep of Object.keys(reps)) {
          may.set(`${step}|${key(rep, r)}`, !!readable.get(key(rep, r)) || !!after.get(key(rep, r)));
        }
      for (const [k, v] of after) readable.set(k, v);
      return res.body;
    };

    const { rep1, rep2, solo } = { rep1: org.rep1.api, rep2: org.rep2.api, solo: org.solo.api };
    const admin = org.admin.api;
    const open = org.stages.filter((s) => s.outcome !== 'WON' && s.outcome !== 'LOST');

    // Companies, contacts, deals of rep1 (rep2 is a teammate without access, solo is outside the team).
    const co: any = await act(() => rep1.post('/companies', { name: 'Acme' }));
    await act(() => rep1.patch(`/companies/${co.id}`, { industry: 'Anvils' }));
    const ct: any = await act(() => rep1.post('/contacts', { firstName: 'Wile', companyId: co.id }));
    await act(() => rep1.patch(`/contacts/${ct.id}`, { jobTitle: 'Coyote' }));
    const deal: any = await act(() =>
      rep1.post('/deals', { name: 'Rockets', pipelineId: org.pipelineId, stageId: open[0].id, contactId: ct.id, companyId: co.id }),
    );
    await act(() => rep1.patch(`/deals/${deal.id}`, { amount: '500.00' }));
    await act(() => rep1.post(`/deals/${deal.id}/move`, { stageId: open[1].id }));
    // Activities and the inbox: a task on the contact, completed, then a note, changed and deleted.
    const t: any = await act(() =>
      rep1.post('/activities', { type: 'TASK', contactId: ct.id, subject: 'Order more', scheduledAt: new Date(Date.now() + 3600_000).toISOString() }),
    );
    await act(() => rep1.patch(`/activities/${t.id}`, { completed: true }));
    const note: any = await act(() => rep1.post('/activities', { type: 'NOTE', dealId: deal.id, body: 'Beep beep' }));
    await act(() => rep1.patch(`/activities/${note.id}`, { body: 'Meep meep' }));
    // A share makes the contact (and its activities, not its deals) readable by rep2, until unshared.
    await act(() => rep1.post(`/contacts/${ct.id}/shares`, { userId: org.rep2.id, permission: 'READ' }));
    await act(() => rep1.patch(`/contacts/${ct.id}`, { phone: '555-0100' }));
    await act(() => rep1.patch(`/deals/${deal.id}`, { name: 'Rockets, shared contact' }));
    const shared: any = await act(() => rep1.post('/activities', { type: 'CALL', contactId: ct.id, subject: 'While shared' }));
    await act(() => rep1.patch(`/activities/${shared.id}`, { subject: 'While shared, edited' }));
    await act(() => rep1.del(`/contacts/${ct.id}/shares/${org.rep2.id}`));
    await act(() => rep1.patch(`/contacts/${ct.id}`, { phone: '555-0199' }));
    await act(() => rep1.del(`/activities/${note.id}`));
    // rep2's own task: its inbox is rep2's alone.
    const ct2: any = await act(() => rep2.post('/contacts', { firstName: 'Road', lastName: 'Runner' }));
    const t2: any = await act(() =>
      rep2.post('/activities', { type: 'TASK', contactId: ct2.id, subject: 'Run', scheduledAt: new Date(Date.now() + 3600_000).toISOString() }),
    );
    await act(() => rep2.patch(`/activities/${t2.id}`, { scheduledAt: new Date(Date.now() + 7200_000).toISOString() }));
    await act(() => rep2.del(`/activities/${t2.id}`));
    // Reassignment out of the team: rep1 and the manager lose sight, solo gains it.
    const deal2: any = await act(() => rep1.post('/deals', { name: 'Reassigned', pipelineId: org.pipelineId }));
    await act(() => admin.patch(`/deals/${deal2.id}`, { ownerId: org.solo.id }));
    await act(() => solo.patch(`/deals/${deal2.id}`, { amount: '42.00' }));
    const ct3: any = await act(() => rep1.post('/contacts', { firstName: 'Reassigned' }));
    await act(() => admin.patch(`/contacts/${ct3.id}`, { ownerId: org.solo.id }));
    await act(() => solo.patch(`/contacts/${ct3.id}`, { jobTitle: 'Now solo' }));
    // Deletions.
    await act(() => rep1.del(`/deals/${deal.id}`));
    await act(() => rep1.del(`/contacts/${ct.id}`));
    await act(() => rep1.del(`/companies/${co.id}`));
    for (const off of offs) off();

    // A last event each rep sees: its stream is in seq order, so everything before it has arrived.
    const markers = await Promise.all(
      (Object.keys(reps) as RepName[]).map(
        async (rep) => [rep, (await reps[rep].api.post('/contacts', { firstName: `marker ${rep}` })).body.id] as const,
      ),
    );
    for (const { rep, c } of sockets) await c.untilEvent((e) => e.type === 'contact.created' && e.data.id === markers.find((m) => m[0] === rep)![1]);

    const seen = new Map<string, Set<RepName>>(); // type -> reps that received one
    const withheld = new Map<string, number>(); // type -> (event, rep) pairs where the rep could not read the record
    for (const [, { e, step: s }] of bySeq) {
      if (!COVERED.includes(e.type) || s === 0) continue;
      const r = recordOf(e.type, e.data);
      for (const rep of Object.keys(reps) as RepName[]) if (!may.get(`${s}|${key(rep, r)}`)) withheld.set(e.type, (withheld.get(e.type) ?? 0) + 1);
    }
    for (const { rep, c } of sockets) {
      for (const ev of c.events as EventEnvelope<any>[]) {
        if (!COVERED.includes(ev.type)) continue;
        const origin = bySeq.get(ev.seq);
        if (!origin || origin.step === 0) continue; // the markers
        expect(origin.e.type).toBe(ev.type);
        const r = recordOf(ev.type, ev.data);
        expect(may.get(`${origin.step}|${key(rep, r)}`), `${rep} got ${ev.type} #${ev.seq} about ${r.kind} ${r.id} it cannot read`).toBe(true);
        (seen.get(ev.type) ?? seen.set(ev.type, new Set()).get(ev.type)!).add(rep);
      }
    }
    // Every type was both delivered to some rep and withheld from some rep, so the checks above had teeth.
    for (const type of COVERED) {
      expect(seen.get(type)?.size ?? 0, `${type} reached no rep`).toBeGreaterThan(0);
      expect(withheld.get(type) ?? 0, `${type} was never about a record some rep cannot read`).toBeGreaterThan(0);
    }
    // The share let rep2 follow the contact and its activities, not the contact's deal.
    const rep2Got = sockets.filter((s) => s.rep === 'rep2').map((s) => s.c.events);
    for (const evs of rep2Got) {
      expect(evs.some((e) => e.type === 'share.created' && e.data.contactId === ct.id)).toBe(true);
      expect(evs.some((e) => e.type === 'activity.updated' && e.data.id === shared.id)).toBe(true);
      expect(evs.some((e) => e.type === 'share.deleted' && e.data.contactId === ct.id)).toBe(true);
      expect(evs.some((e) => e.type.startsWith('deal.') && e.data.id === deal.id)).toBe(false);
      expect(evs.some((e) => e.type === 'contact.updated' && e.data.id === ct.id && e.data.phone === '555-0199')).toBe(false);
    }
  });
});
