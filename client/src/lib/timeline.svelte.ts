import type { ActivityRecord, ActivityType } from '../../../shared/schemas';
import type { Page } from './api';
import { errorText } from './api';

export type TimelineLoader = (p: { cursor: string | null; type?: ActivityType; limit: number }) => Promise<Page<ActivityRecord>>;

/**
 * A timeline read newest-first in keyset pages. A type filter restarts paging; live activities are
 * merged in by id, so a replayed or echoed event never shows twice. Stale answers (the filter changed
 * while a page was loading) are dropped.
 */
export class TimelineModel {
  items = $state<ActivityRecord[]>([]);
  nextCursor = $state<string | null>(null);
  done = $state(false);
  loading = $state(false);
  error = $state('');
  type = $state<ActivityType | ''>('');
  private generation = 0;

  constructor(
    private loader: TimelineLoader,
    private pageSize = 20,
  ) {}

  async reset(type: ActivityType | '' = this.type) {
    this.type = type;
    this.items = [];
    this.nextCursor = null;
    this.done = false;
    this.generation++;
    this.loading = false;
    await this.loadMore();
  }

  async loadMore() {
    if (this.loading || this.done) return;
    const gen = this.generation;
    this.loading = true;
    this.error = '';
    try {
      const page = await this.loader({ cursor: this.nextCursor, type: this.type || undefined, limit: this.pageSize });
      if (gen !== this.generation) return;
      const have = new Set(this.items.map((a) => a.id));
      this.items = [...this.items, ...page.items.filter((a) => !have.has(a.id))];
      this.nextCursor = page.nextCursor;
      this.done = !page.nextCursor;
    } catch (e) {
      if (gen === this.generation) this.error = errorText(e);
    } finally {
      if (gen === this.generation) this.loading = false;
    }
  }

  /** A created or changed activity from the live stream. */
  upsert(a: ActivityRecord) {
    const i = this.items.findIndex((x) => x.id === a.id);
    if (i >= 0) {
      this.items[i] = a;
      return;
    }
    if (this.type && a.type !== this.type) return;
    // Only place it if it is newer than the oldest loaded row, or the whole timeline is loaded.
    const oldest = this.items[this.items.length - 1];
    if (!this.done && oldest && a.createdAt < oldest.createdAt) return;
    this.items = [a, ...this.items].sort((x, y) => (x.createdAt < y.createdAt ? 1 : x.createdAt > y.createdAt ? -1 : x.id < y.id ? 1 : -1));
  }

  remove(id: string) {
    this.items = this.items.filter((a) => a.id !== id);
  }
}
