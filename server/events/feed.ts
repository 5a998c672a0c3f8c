import type { CommittedEvent } from './outbox.js';

export type FeedListener = (event: CommittedEvent) => void;

/**
 * This node's stream of committed domain events, whichever node committed them, in seq order per
 * tenant. The live-event layer feeds it (from the bus and from outbox catch-up); other extensions
 * (note access re-checks, search indexing, cache invalidation) listen to it.
 */
export class EventFeed {
  private listeners = new Set<FeedListener>();
  on(l: FeedListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  emit(e: CommittedEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        /* one listener's bug must not starve the others */
      }
    }
  }
}
