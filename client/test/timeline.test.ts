import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen, fireEvent, waitFor } from '@testing-library/svelte';
import Timeline from '../src/components/Timeline.svelte';
import { TimelineModel, type TimelineLoader } from '../src/lib/timeline.svelte';
import type { ActivityRecord } from '../../shared/schemas';
import { activity, deferred } from './fixtures';

/** A keyset-paged source like the server's: newest first, the cursor is the last row's (createdAt, id). */
function source(rows: ActivityRecord[]) {
  const sorted = [...rows].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1));
  const calls: { cursor: string | null; type?: string }[] = [];
  const loader: TimelineLoader = async ({ cursor, type, limit }) => {
    calls.push({ cursor, type });
    let list = type ? sorted.filter((a) => a.type === type) : sorted;
    if (cursor) {
      const [t, id] = JSON.parse(cursor);
      list = list.filter((a) => a.createdAt < t || (a.createdAt === t && a.id < id));
    }
    const items = list.slice(0, limit);
    const more = list.length > limit;
    const last = items[items.length - 1];
    return { items, nextCursor: more && last ? JSON.stringify([last.createdAt, last.id]) : null };
  };
  return { loader, calls, sorted };
}

afterEach(() => cleanup());
describe('timeline paging', () => {
  it('pages through everything newest first with no duplicates, then stops', async () => {
    const rows = Array.from({ length: 23 }, (_, i) => activity(i));
    const src = source(rows);
    const model = new TimelineModel(src.loader, 10);
    render(Timeline, { props: { model, userName: () => 'Ravi Rep' } });
    await model.reset();
    await waitFor(() => expect(screen.getAllByTestId('timeline-item')).toHaveLength(10));
    await fireEvent.click(screen.getByTestId('timeline-more'));
    await waitFor(() => expect(screen.getAllByTestId('timeline-item')).toHaveLength(20));
    await fireEvent.click(screen.getByTestId('timeline-more'));
    await waitFor(() => expect(screen.getAllByTestId('timeline-item')).toHaveLength(23));
    expect(screen.queryByTestId('timeline-more')).toBeNull();
    expect(model.items.map((a) => a.id)).toEqual(src.sorted.map((a) => a.id));
    expect(src.calls.map((c) => c.cursor === null)).toEqual([true, false, false]);
  });

  it('a type filter restarts paging and drops answers for the old filter', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => activity(i));
    const slow = deferred<void>();
    const src = source(rows);
    let first = true;
    const model = new TimelineModel(async (p) => {
      if (first) {
        first = false;
        await slow.promise;
      }
      return src.loader(p);
    }, 10);
    render(Timeline, { props: { model, userName: () => 'Ravi Rep' } });
    const unfiltered = model.reset();
    await model.reset('CALL');
    slow.resolve();
    await unfiltered;
    await waitFor(() => expect(screen.getAllByTestId('timeline-item')).toHaveLength(6));
    expect(screen.getAllByTestId('timeline-item').every((li) => li.dataset.type === 'CALL')).toBe(true);
    expect(model.done).toBe(true);
  });

  it('merges live activities by id', async () => {
    const src = source(Array.from({ length: 5 }, (_, i) => activity(i)));
    const model = new TimelineModel(src.loader, 10);
    render(Timeline, { props: { model, userName: () => 'Ravi Rep' } });
    await model.reset();
    const fresh = activity(100, { subject: 'Live call' });
    model.upsert(fresh);
    model.upsert({ ...fresh, subject: 'Live call (edited)' });
    await waitFor(() => expect(screen.getAllByTestId('timeline-item')).toHaveLength(6));
    expect(screen.getAllByTestId('timeline-item')[0]!.textContent).toContain('Live call (edited)');
  });
});
