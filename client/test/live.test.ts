import { describe, expect, it } from 'vitest';
import { LiveEvents } from '../src/lib/live.svelte';
import { splitTasks } from '../src/lib/inbox.svelte';
import { activity } from './fixtures';

describe('live events store', () => {
  it('applies each seq once, in order, and refetches on resync', () => {
    const live = new LiveEvents();
    const seen: number[] = [];
    let resyncs = 0;
    live.on('deal.moved', (e) => seen.push(e.seq));
    live.onResync(() => resyncs++);
    live.receive('session.ready', { seq: 10 });
    expect(resyncs).toBe(1); // first sync without a stored seq: pages refetch once
    live.receive('deal.moved', { seq: 9, type: 'deal.moved', at: '', data: {} });
    live.receive('deal.moved', { seq: 11, type: 'deal.moved', at: '', data: {} });
    live.receive('deal.moved', { seq: 11, type: 'deal.moved', at: '', data: {} });
    live.receive('deal.moved', { seq: 14, type: 'deal.moved', at: '', data: {} });
    expect(seen).toEqual([11, 14]);
    expect(live.lastSeq).toBe(14);
    live.receive('resync.required', { seq: 40, reason: 'expired' });
    expect(resyncs).toBe(2);
    expect(live.lastSeq).toBe(40);
    live.receive('deal.moved', { seq: 39, type: 'deal.moved', at: '', data: {} });
    expect(seen).toEqual([11, 14]);
    // A resync can also move the position back (the stored seq was from another database): newer events apply again.
    live.receive('resync.required', { seq: 5, reason: 'unknown_seq' });
    live.receive('deal.moved', { seq: 6, type: 'deal.moved', at: '', data: {} });
    expect(seen).toEqual([11, 14, 6]);
    expect(sessionStorage.getItem('pulse.lastSeq.u1')).toBeNull(); // not started for a user: nothing persisted
  });
});

describe('inbox split', () => {
  it('a task becomes overdue when its due time passes, without any event', () => {
    const t = activity(1, { type: 'TASK', scheduledAt: '2026-05-01T10:00:00.000Z' });
    const open = activity(2, { type: 'TASK', scheduledAt: null });
    expect(splitTasks([t, open], Date.parse('2026-05-01T09:59:59Z')).overdue).toEqual([]);
    const later = splitTasks([t, open], Date.parse('2026-05-01T10:00:01Z'));
    expect(later.overdue.map((x) => x.id)).toEqual([t.id]);
    expect(later.upcoming.map((x) => x.id)).toEqual([open.id]);
  });
});
