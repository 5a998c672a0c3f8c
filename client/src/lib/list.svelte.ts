import type { ListParams, Page } from './api';
import { errorText } from './api';

/**
 * A filtered, sorted list read in keyset pages. Changing a filter starts over; answers that arrive
 * after a newer query was started are dropped, so fast typing never shows an older result.
 */
export class ListModel<T extends { id: string }> {
  items = $state<T[]>([]);
  nextCursor = $state<string | null>(null);
  loading = $state(false);
  error = $state('');
  params = $state<ListParams>({});
  private generation = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private loader: (p: ListParams) => Promise<Page<T>>,
    initial: ListParams = {},
    private pageSize = 25,
  ) {
    this.params = initial;
  }

  /** Sets filters; text search waits for a short pause in typing. */
  set(patch: ListParams, debounceMs = 0) {
    this.params = { ...this.params, ...patch };
    if (this.timer) clearTimeout(this.timer);
    if (debounceMs) this.timer = setTimeout(() => void this.reload(), debounceMs);
    else void this.reload();
  }

  async reload() {
    const gen = ++this.generation;
    this.loading = true;
    try {
      const page = await this.loader({ ...this.params, limit: this.pageSize });
      if (gen !== this.generation) return;
      this.items = page.items;
      this.nextCursor = page.nextCursor;
      this.error = '';
    } catch (e) {
      if (gen === this.generation) this.error = errorText(e);
    } finally {
      if (gen === this.generation) this.loading = false;
    }
  }

  async loadMore() {
    if (!this.nextCursor || this.loading) return;
    const gen = this.generation;
    this.loading = true;
    try {
      const page = await this.loader({ ...this.params, limit: this.pageSize, cursor: this.nextCursor });
      if (gen !== this.generation) return;
      const have = new Set(this.items.map((i) => i.id));
      this.items = [...this.items, ...page.items.filter((i) => !have.has(i.id))];
      this.nextCursor = page.nextCursor;
    } catch (e) {
      if (gen === this.generation) this.error = errorText(e);
    } finally {
      if (gen === this.generation) this.loading = false;
    }
  }

  upsert(item: T) {
    const i = this.items.findIndex((x) => x.id === item.id);
    if (i >= 0) this.items[i] = item;
  }
  remove(id: string) {
    this.items = this.items.filter((x) => x.id !== id);
  }
}
