import type { MikroORM } from '@mikro-orm/postgresql';
import type { Viewer } from '../auth/viewer.js';
import type { DomainEventType } from '../../shared/events.js';
import { appendEvents, type CommittedEvent, type PendingEvent } from '../events/outbox.js';
import type { Em } from './sql.js';

/** A writing unit of work: one database transaction, and the events it will append on commit. */
export class Tx {
  readonly events: PendingEvent[] = [];
  constructor(readonly em: Em, readonly viewer: Viewer) {}

  emit(type: DomainEventType, entityType: string, entityId: string, data: unknown, audience: string[]): void {
    this.events.push({ type, entityType, entityId, data, audience });
  }
}

export type CommitListener = (events: CommittedEvent[]) => void;

/**
 * The one write path. Every domain change runs through `write()`: the service's statements and the
 * outbox append share one transaction, so an event exists exactly when its change does. Listeners
 * (the event relay, the search indexer) hear about committed events only after commit.
 */
export class WritePath {
  private listeners: CommitListener[] = [];
  constructor(private orm: MikroORM) {}

  onCommit(l: CommitListener): () => void {
    this.listeners.push(l);
    return () => { this.listeners = this.listeners.filter((x) => x !== l); };
  }

  async write<T>(viewer: Viewer, fn: (tx: Tx) => Promise<T>): Promise<T> {
    let committed: CommittedEvent[] = [];
    const result = await this.orm.em.fork().transactional(async (em) => {
      const tx = new Tx(em as Em, viewer);
      const r = await fn(tx);
      committed = await appendEvents(em as Em, viewer.tenantId, tx.events);
      return r;
    });
    if (committed.length) for (const l of this.listeners) {
      try { l(committed); } catch { /* a listener's failure must not fail a committed write */ }
    }
    return result;
  }

  /** A read-only unit: a fresh entity manager, no transaction. */
  read(): Em {
    return this.orm.em.fork() as Em;
  }
}
