import type { ActivityRecord } from '../../../shared/schemas';
import { api } from './api';
import { live } from './live.svelte';

/** Splits open tasks into overdue and upcoming at a given moment. */
export function splitTasks(tasks: ActivityRecord[], now: number) {
  const overdue: ActivityRecord[] = [];
  const upcoming: ActivityRecord[] = [];
  for (const t of tasks) (t.scheduledAt && Date.parse(t.scheduledAt) < now ? overdue : upcoming).push(t);
  const due = (t: ActivityRecord) => (t.scheduledAt ? Date.parse(t.scheduledAt) : Infinity);
  overdue.sort((a, b) => due(a) - due(b));
  upcoming.sort((a, b) => due(a) - due(b));
  return { overdue, upcoming };
}

/**
 * My open tasks, kept current by `inbox.updated` events. A task also becomes overdue just by time
 * passing, which no event announces, so the split is recomputed against a clock that ticks every second.
 */
class InboxStore {
  tasks = $state<ActivityRecord[]>([]);
  now = $state(Date.now());
  loaded = $state(false);
  split = $derived(splitTasks(this.tasks, this.now));
  overdueCount = $derived(this.split.overdue.length);
  private timer: ReturnType<typeof setInterval> | null = null;
  private offs: (() => void)[] = [];

  start() {
    this.stop();
    this.timer = setInterval(() => {
      this.now = Date.now();
    }, 1000);
    this.offs.push(
      live.on('inbox.updated', () => this.refresh()),
      live.onResync(() => this.refresh()),
    );
    void this.refresh();
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const off of this.offs) off();
    this.offs = [];
    this.tasks = [];
    this.loaded = false;
  }

  async refresh() {
    try {
      const r = await api.inbox();
      this.tasks = [...r.overdue, ...r.upcoming];
      this.now = Date.now();
      this.loaded = true;
    } catch {
      /* the banner shows connection trouble; keep what we have */
    }
  }

  /** Applied right away so the list reacts instantly; the event that follows refreshes from the server. */
  replace(task: ActivityRecord) {
    if (task.completedAt) this.tasks = this.tasks.filter((t) => t.id !== task.id);
    else this.tasks = this.tasks.map((t) => (t.id === task.id ? task : t));
  }
}

export const inbox = new InboxStore();
