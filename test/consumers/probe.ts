import crypto from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Consumer } from '../../server/consumers/consumer.js';
import { run, type Em } from '../../server/db/sql.js';

/** Tables a probe consumer records into, outside its own transaction, so what a killed node did stays visible. */
export const PROBE_TABLES = `
  create table if not exists probe_entries (batch uuid primary key, node text not null, consumer text not null, tenant_id uuid not null,
    first_seq bigint not null, last_seq bigint not null, attempt int not null, entered_at timestamptz not null, left_at timestamptz null);
  create table if not exists probe_seen (node text not null, consumer text not null, tenant_id uuid not null, seq bigint not null, at timestamptz not null default clock_timestamp());`;

export interface ProbeOptions {
  name?: string;
  delayMs?: number;
  batchSize?: number;
  failTimes?: number;
}

/**
 * A test consumer that takes its time over each event and writes down, on a separate autocommit
 * connection, when it entered and left each batch and every seq it handled: evidence of overlap
 * (two workers on one pair) and of skipped or redelivered events, even from a node that was killed.
 */
export function probeConsumer(orm: () => MikroORM, node: string, o: ProbeOptions = {}): Consumer {
  let failures = 0;
  const side = () => orm().em.fork() as Em;
  return {
    name: o.name ?? 'probe',
    types: 'all',
    batchSize: o.batchSize ?? 20,
    retryBaseMs: 100,
    maxRetryMs: 500,
    async handle(events, ctx) {
      const batch = crypto.randomUUID();
      await run(
        side(),
        `insert into probe_entries (batch, node, consumer, tenant_id, first_seq, last_seq, attempt, entered_at) values (?, ?, ?, ?, ?, ?, ?, clock_timestamp())`,
        [batch, node, o.name ?? 'probe', ctx.tenantId, events[0].seq, events[events.length - 1].seq, ctx.attempt],
      );
      for (const e of events) {
        if (o.delayMs) await new Promise((r) => setTimeout(r, o.delayMs));
        await run(side(), 'insert into probe_seen (node, consumer, tenant_id, seq) values (?, ?, ?, ?)', [
          node,
          o.name ?? 'probe',
          ctx.tenantId,
          e.seq,
        ]);
      }
      await run(side(), 'update probe_entries set left_at = clock_timestamp() where batch = ?', [batch]);
      if (failures < (o.failTimes ?? 0)) {
        failures++;
        throw new Error(`probe failure ${failures}`);
      }
    },
  };
}
