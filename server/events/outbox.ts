import type { DomainEventType, EventKind, ActorRef } from '../../shared/events.js';
import { one, run, pgArray, type Em } from '../db/sql.js';

export interface PendingEvent {
  kind: EventKind;
  type: DomainEventType;
  entityType: string;
  entityId: string;
  /** The record as the REST API returns it (or `{ id }` for deletions); the notice body for notices. */
  data: unknown;
  /** User ids allowed to receive it, from the policy module. */
  audience: string[];
  /** On updates: the previous values of the changed fields, and their names. */
  before: Record<string, unknown> | null;
  changed: string[] | null;
}

export interface CommittedEvent extends PendingEvent {
  tenantId: string;
  seq: number;
  at: string;
  actor: ActorRef;
  requestId: string | null;
}

/**
 * Appends events to the outbox inside the caller's transaction. It must be the transaction's last
 * statement: bumping tenants.event_seq takes that row's lock until commit, so the tenant's events
 * become visible in seq order with no gaps, which is what lets replay and consumers read "everything after N".
 */
export async function appendEvents(
  em: Em,
  tenantId: string,
  actor: ActorRef,
  requestId: string | null,
  events: PendingEvent[],
): Promise<CommittedEvent[]> {
  if (events.length === 0) return [];
  const row = await one<{ last: string; at: Date | string }>(
    em,
    'update tenants set event_seq = event_seq + ? where id = ? returning event_seq as last, now() as at',
    [events.length, tenantId],
  );
  if (!row) throw new Error(`tenant ${tenantId} not found while appending events`);
  const last = Number(row.last);
  const at = new Date(row.at).toISOString();
  const committed = events.map((e, i) => ({ ...e, tenantId, seq: last - events.length + 1 + i, at, actor, requestId }));
  const values: unknown[] = [];
  const tuples = committed.map((e) => {
    values.push(
      tenantId,
      e.seq,
      e.kind,
      e.type,
      e.entityType,
      e.entityId,
      JSON.stringify(e.data),
      pgArray(e.audience),
      at,
      actor.kind,
      actor.id,
      actor.name,
      requestId,
      e.before ? JSON.stringify(e.before) : null,
      e.changed ? pgArray(e.changed) : null,
    );
    return '(?, ?, ?, ?, ?, ?, ?::jsonb, ?::uuid[], ?, ?, ?, ?, ?, ?::jsonb, ?::text[])';
  });
  await run(
    em,
    `insert into outbox_events (tenant_id, seq, kind, type, entity_type, entity_id, payload, audience, created_at,
      actor_kind, actor_id, actor_name, request_id, before, changed) values ${tuples.join(', ')}`,
    values,
  );
  return committed;
}
