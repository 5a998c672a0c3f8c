import type { MikroORM } from '@mikro-orm/postgresql';
import type { Viewer } from '../auth/viewer.js';
import { actorRef, systemActor, userActor, type Actor, type SystemJob } from '../auth/actor.js';
import type { FactType, NoticeType } from '../../shared/events.js';
import { appendEvents, type CommittedEvent, type PendingEvent } from '../events/outbox.js';
import { diffRecords, type Change } from '../events/diff.js';
import type { Em } from './sql.js';

/** A write by one of Pulse's own jobs: it names the job and the tenant it works on, and has no viewer. */
export interface SystemWriter {
  system: SystemJob;
  tenantId: string;
  requestId?: string | null;
}
export type Writer = Viewer | SystemWriter;

const isSystem = (w: Writer): w is SystemWriter => 'system' in w;

/** A writing unit of work: one database transaction, the actor doing it, and the events it appends on commit. */
export class Tx {
  readonly events: PendingEvent[] = [];
  readonly actor: Actor;
  readonly tenantId: string;
  readonly requestId: string | null;

  constructor(
    readonly em: Em,
    private readonly writer: Writer,
  ) {
    this.tenantId = writer.tenantId;
    this.requestId = writer.requestId ?? null;
    this.actor = isSystem(writer) ? systemActor(writer.system) : (writer.actor ?? userActor(writer));
  }

  /**
   * The user whose visibility the write runs under. A system job has none: asking for it is a bug in
   * the job (it must decide what it touches itself), so it throws instead of inventing an admin.
   */
  get viewer(): Viewer {
    if (isSystem(this.writer)) throw new Error(`system job '${this.writer.system}' has no viewer`);
    return this.writer;
  }

  /**
   * Appends a domain fact: `data` is the record after the change as REST returns it (or `{ id, ... }`
   * for a deletion); `change` carries the previous values of the fields an update changed.
   */
  emit(type: FactType, entityType: string, entityId: string, data: unknown, audience: string[], change?: Change): void {
    this.events.push({ kind: 'fact', type, entityType, entityId, data, audience, before: change?.before ?? null, changed: change?.changed ?? null });
  }

  /** A fact for an update of `before` into `after`: the changed fields are worked out here, once. */
  emitUpdate(type: FactType, entityType: string, before: { id: string }, after: { id: string }, audience: string[]): Change {
    const change = diffRecords(before as unknown as Record<string, unknown>, after as unknown as Record<string, unknown>);
    this.emit(type, entityType, after.id, after, audience, change);
    return change;
  }

  /** A per-user delivery notice (lost or gained access): not a domain fact, so durable consumers skip it. */
  notice(type: NoticeType, entityType: string, entityId: string, data: unknown, users: string[]): void {
    if (users.length)
      this.events.push({ kind: 'notice', type, entityType, entityId, data, audience: [...new Set(users)].sort(), before: null, changed: null });
  }
}

export type CommitListener = (events: CommittedEvent[]) => void;

/**
 * The one write path. Every domain change runs through `write()`: the command's statements and the
 * outbox append share one transaction, so an event exists exactly when its change does. Listeners
 * (the event relay) hear about committed events only after commit.
 */
export class WritePath {
  private listeners: CommitListener[] = [];
  constructor(private orm: MikroORM) {}

  onCommit(l: CommitListener): () => void {
    this.listeners.push(l);
    return () => {
      this.listeners = this.listeners.filter((x) => x !== l);
    };
  }

  async write<T>(writer: Writer, fn: (tx: Tx) => Promise<T>): Promise<T> {
    let committed: CommittedEvent[] = [];
    const result = await this.orm.em.fork().transactional(async (em) => {
      const tx = new Tx(em as Em, writer);
      const r = await fn(tx);
      committed = await appendEvents(em as Em, tx.tenantId, actorRef(tx.actor), tx.requestId, tx.events);
      return r;
    });
    if (committed.length)
      for (const l of this.listeners) {
        try {
          l(committed);
        } catch {
          /* a listener's failure must not fail a committed write */
        }
      }
    return result;
  }

  /** A read-only unit: a fresh entity manager, no transaction. */
  read(): Em {
    return this.orm.em.fork() as Em;
  }
}
