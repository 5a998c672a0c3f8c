import type { CommittedEvent } from '../events/outbox.js';
import { pgArray, rows, run, iso, type Em } from '../db/sql.js';
import type { Consumer } from './consumer.js';
import type { AuditEntry } from '../../shared/schemas.js';

type Obj = Record<string, unknown>;

/** A changed field's value in a record; custom fields are named `customData.<field>` by the diff. */
function valueAt(record: Obj, field: string): unknown {
  if (field.startsWith('customData.')) return ((record.customData ?? {}) as Obj)[field.slice('customData.'.length)] ?? null;
  return record[field] ?? null;
}

/** What one fact says field by field: updates keep only the changed fields, before and after. */
export function auditValues(e: CommittedEvent): { before: Obj | null; after: Obj | null; changed: string[] | null } {
  const data = (e.data ?? {}) as Obj;
  if (e.changed?.length) {
    const after: Obj = {};
    for (const f of e.changed) after[f] = valueAt(data, f);
    return { before: e.before ?? {}, after, changed: e.changed };
  }
  if (e.type.endsWith('.deleted')) return { before: data, after: null, changed: null };
  return { before: null, after: data, changed: null };
}

/**
 * The field-level audit log, the first durable consumer: every domain fact becomes one row keyed by
 * (tenant_id, seq), so a re-delivered batch inserts nothing new (`on conflict do nothing`). It writes
 * through the consumer's transaction, so the rows and the cursor commit together.
 */
export function auditConsumer(): Consumer {
  return {
    name: 'audit',
    types: 'all',
    batchSize: 500,
    async handle(events, { em, tenantId }) {
      const values: unknown[] = [];
      const tuples = events.map((e) => {
        const v = auditValues(e);
        values.push(
          tenantId,
          e.seq,
          e.entityType,
          e.entityId,
          e.type,
          e.actor.kind,
          e.actor.id,
          e.actor.name,
          e.requestId,
          v.changed ? pgArray(v.changed) : null,
          v.before ? JSON.stringify(v.before) : null,
          v.after ? JSON.stringify(v.after) : null,
          e.at,
        );
        return '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?::text[], ?::jsonb, ?::jsonb, ?)';
      });
      await run(
        em,
        `insert into audit_log (tenant_id, seq, entity_type, entity_id, type, actor_kind, actor_id, actor_name, request_id, changed, before, after, at)
          values ${tuples.join(', ')} on conflict (tenant_id, seq) do nothing`,
        values,
      );
    },
  };
}

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

/** One page of a tenant's audit log, newest first, optionally for one entity. */
export async function auditPage(
  em: Em,
  tenantId: string,
  q: { entityType?: string; entityId?: string; before?: number; limit: number },
): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
  const where = ['tenant_id = ?'];
  const params: unknown[] = [tenantId];
  if (q.entityType) {
    where.push('entity_type = ?');
    params.push(q.entityType);
  }
  if (q.entityId) {
    where.push('entity_id = ?');
    params.push(q.entityId);
  }
  if (q.before) {
    where.push('seq < ?');
    params.push(q.before);
  }
  params.push(q.limit + 1);
  const r = await rows(
    em,
    `select seq, at, type, entity_type, entity_id, actor_kind, actor_id, actor_name, request_id,
      to_jsonb(changed) as changed, before, after from audit_log where ${where.join(' and ')} order by seq desc limit ?`,
    params,
  );
  const items: AuditEntry[] = r.slice(0, q.limit).map((x) => ({
    seq: Number(x.seq),
    at: iso(x.at),
    type: x.type,
    entityType: x.entity_type,
    entityId: x.entity_id,
    actor: { kind: x.actor_kind, id: x.actor_id ?? null, name: x.actor_name },
    requestId: x.request_id ?? null,
    changed: json(x.changed) ?? null,
    before: json(x.before) ?? null,
    after: json(x.after) ?? null,
  }));
  return { items, nextCursor: r.length > q.limit ? String(items[items.length - 1].seq) : null };
}
