import type { DomainEventType } from '../../shared/events.js';
import { one, run, pgArray, type Em } from '../db/sql.js';

export interface PendingEvent {
  type: DomainEventType;
  entityType: string;
  entityId: string;
  /** The record as the REST API returns it (or `{ id }` for deletions). */
  data: unknown;
  /** User ids allowed to receive it, from the visibility module. */
  audience: string[];
}

export interface CommittedEvent extends PendingEvent {
  tenantId: string;
  seq: number;
  at: string;
}

/**
 * Appends events to the outbox inside the caller's transaction. It must be the transaction's last
 * statement: bumping tenants.event_seq takes that row's lock until commit, so the tenant's events
 * become visible in seq order with no gaps, which is what lets replay read "everything after N".
 */
export async function appendEvents(em: Em, tenantId: string, events: PendingEvent[]): Promise<CommittedEvent[]> {
  if (events.length === 0) return [];
  const row = await one<{ last: string; at: Date | string }>(em,
    'update tenants set event_seq = event_seq + ? where id = ? returning event_seq as last, now() as at', [events.length, tenantId]);
  if (!row) throw new Error(`tenant ${tenantId} not found while appending events`);
  const last = Number(row.last);
  const at = new Date(row.at as any).toISOString();
  const committed = events.map((e, i) => ({ ...e, tenantId, seq: last - events.length + 1 + i, at }));
  const values: unknown[] = [];
  const tuples = committed.map((e) => {
    values.push(tenantId, e.seq, e.type, e.entityType, e.entityId, JSON.stringify(e.data), pgArray(e.audience), at);
    return '(?, ?, ?, ?, ?, ?::jsonb, ?::uuid[], ?)';
  });
  await run(em, `insert into outbox_events (tenant_id, seq, type, entity_type, entity_id, payload, audience, created_at) values ${tuples.join(', ')}`, values);
  return committed;
}
