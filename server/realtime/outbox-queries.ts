import type { CommittedEvent } from '../events/outbox.js';
import { rows, run, one, pgArray, type Em } from '../db/sql.js';

/** Reads of the outbox the live-event layer needs: gap fills, replay, reconciliation, sweeping, pruning. */

const COLUMNS = `tenant_id, seq, kind, type, entity_type, entity_id, payload, to_jsonb(audience) as audience, created_at,
  actor_kind, actor_id, actor_name, request_id, before, to_jsonb(changed) as changed`;

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

export function toEvent(r: any): CommittedEvent {
  return {
    kind: r.kind,
    tenantId: r.tenant_id,
    seq: Number(r.seq),
    at: new Date(r.created_at).toISOString(),
    type: r.type,
    entityType: r.entity_type,
    entityId: r.entity_id,
    data: json(r.payload),
    audience: json(r.audience) ?? [],
    actor: { kind: r.actor_kind, id: r.actor_id ?? null, name: r.actor_name },
    requestId: r.request_id ?? null,
    before: json(r.before) ?? null,
    changed: json(r.changed) ?? null,
  };
}

/** A tenant's events with after < seq <= upTo, in seq order. */
export async function eventsBetween(em: Em, tenantId: string, after: number, upTo: number | null, limit = 5000): Promise<CommittedEvent[]> {
  const r =
    upTo == null
      ? await rows(em, `select ${COLUMNS} from outbox_events where tenant_id = ? and seq > ? order by seq limit ?`, [tenantId, after, limit])
      : await rows(em, `select ${COLUMNS} from outbox_events where tenant_id = ? and seq > ? and seq <= ? order by seq limit ?`, [
          tenantId,
          after,
          upTo,
          limit,
        ]);
  return r.map(toEvent);
}

/** The events after `since` that `userId` is in the audience of. */
export async function eventsForUser(em: Em, tenantId: string, userId: string, since: number, limit: number): Promise<CommittedEvent[]> {
  const r = await rows(em, `select ${COLUMNS} from outbox_events where tenant_id = ? and seq > ? and ?::uuid = any(audience) order by seq limit ?`, [
    tenantId,
    since,
    userId,
    limit,
  ]);
  return r.map(toEvent);
}

/** Whether the event right after `since` is still kept (seq is gap-free, so a missing row means pruned). */
export async function hasSeq(em: Em, tenantId: string, seq: number): Promise<boolean> {
  return !!(await one(em, 'select 1 from outbox_events where tenant_id = ? and seq = ?', [tenantId, seq]));
}

export async function tenantSeq(em: Em, tenantId: string): Promise<number | null> {
  const r = await one<{ event_seq: string }>(em, 'select event_seq from tenants where id = ?', [tenantId]);
  return r ? Number(r.event_seq) : null;
}

export async function allTenantSeqs(em: Em): Promise<Map<string, number>> {
  const r = await rows<{ id: string; event_seq: string }>(em, 'select id, event_seq from tenants');
  return new Map(r.map((x) => [x.id, Number(x.event_seq)]));
}

/** Events nobody managed to publish (the committing node died, or the bus was down), oldest first. */
export async function unpublished(em: Em, olderThanMs: number, limit: number): Promise<CommittedEvent[]> {
  const r = await rows(
    em,
    `select ${COLUMNS} from outbox_events where published_at is null and created_at < now() - (? * interval '1 millisecond')
      order by tenant_id, seq limit ?`,
    [olderThanMs, limit],
  );
  return r.map(toEvent);
}

export async function markPublished(em: Em, events: CommittedEvent[]): Promise<void> {
  const byTenant = new Map<string, string[]>();
  for (const e of events) {
    const l = byTenant.get(e.tenantId) ?? [];
    l.push(String(e.seq));
    byTenant.set(e.tenantId, l);
  }
  for (const [t, seqs] of byTenant) {
    await run(em, `update outbox_events set published_at = now() where tenant_id = ? and seq = any(?::bigint[]) and published_at is null`, [
      t,
      pgArray(seqs),
    ]);
  }
}

/**
 * Drops events past the replay window; clients further behind than that get resync.required. It never
 * drops what an enabled durable consumer has not passed: per tenant only seq <= the smallest cursor of
 * `consumers`, and a tenant missing a cursor for one of them keeps everything.
 */
export async function prune(em: Em, retentionMs: number, consumers: readonly string[] = []): Promise<number> {
  if (!consumers.length) return run(em, `delete from outbox_events where created_at < now() - (? * interval '1 millisecond')`, [retentionMs]);
  return run(
    em,
    `delete from outbox_events o where o.created_at < now() - (? * interval '1 millisecond')
      and o.seq <= coalesce((select case when count(*) = ? then min(c.last_seq) end from consumer_cursors c
        where c.tenant_id = o.tenant_id and c.consumer = any(?::text[])), 0)`,
    [retentionMs, consumers.length, pgArray(consumers)],
  );
}
