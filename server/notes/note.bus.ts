import type { Redis } from 'ioredis';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import type { Logger } from '../log.js';
import { leaseNodeRedis, type RedisLease } from '../redis/index.js';

const KIND_UPDATE = 0;
const KIND_AWARENESS = 1;

export type BusMessage = { kind: 'update'; ids: number[]; update: Uint8Array } | { kind: 'awareness'; update: Uint8Array };

/**
 * Best-effort fan-out of note updates and awareness between nodes, one Redis channel per loaded doc.
 * Every message is tagged with the sending node so a node ignores its own. Nothing depends on
 * delivery: updates are in PostgreSQL before they are published, and nodes catch up from there.
 */
export class NoteBus {
  private pub: Redis;
  private sub: Redis;
  private docs = new Set<string>();
  /** `<deployment namespace>:notes:`, so deployments sharing a Redis never relay each other's notes. */
  private readonly prefix: string;
  private lease: RedisLease;
  private offReconnect: () => void;
  private onBuffer = (channel: Buffer, message: Buffer) => this.receive(channel.toString(), message);

  constructor(
    url: string,
    private nodeId: string,
    private log: Logger,
    private onMessage: (doc: string, m: BusMessage) => void,
    onReconnect: () => void,
  ) {
    // The node's shared connections (server/redis/): publishes fail at once while Redis is down instead
    // of piling up; subscriptions queue, and ioredis re-subscribes them on reconnect.
    this.lease = leaseNodeRedis({ url, nodeId, log });
    this.pub = this.lease.redis.command;
    this.sub = this.lease.redis.subscriber;
    this.prefix = this.lease.redis.keys.ns('notes') + ':';
    // What we may have missed while Redis was away comes from PostgreSQL.
    this.offReconnect = this.lease.redis.onReconnect(onReconnect);
    this.sub.on('messageBuffer', this.onBuffer);
  }

  get subscriptions(): number {
    return this.docs.size;
  }

  get connected(): boolean {
    return this.sub.status === 'ready' && this.pub.status === 'ready';
  }

  async subscribe(doc: string): Promise<void> {
    this.docs.add(doc);
    // While Redis is away the command waits in the offline queue; loading the doc must not wait with it.
    const p = this.sub.subscribe(this.prefix + doc).catch(() => {
      /* catch-up from PostgreSQL covers it */
    });
    if (this.sub.status === 'ready') await p;
  }

  async unsubscribe(doc: string): Promise<void> {
    this.docs.delete(doc);
    const p = this.sub.unsubscribe(this.prefix + doc).catch(() => {});
    if (this.sub.status === 'ready') await p;
  }

  publish(doc: string, m: BusMessage): void {
    const e = encoding.createEncoder();
    encoding.writeVarString(e, this.nodeId);
    if (m.kind === 'update') {
      encoding.writeVarUint(e, KIND_UPDATE);
      encoding.writeVarUint(e, m.ids.length);
      for (const id of m.ids) encoding.writeVarUint(e, id);
      encoding.writeVarUint8Array(e, m.update);
    } else {
      encoding.writeVarUint(e, KIND_AWARENESS);
      encoding.writeVarUint8Array(e, m.update);
    }
    this.pub.publish(this.prefix + doc, Buffer.from(encoding.toUint8Array(e))).catch(() => {});
  }

  private receive(channel: string, message: Buffer): void {
    if (!channel.startsWith(this.prefix)) return;
    const doc = channel.slice(this.prefix.length);
    if (!this.docs.has(doc)) return;
    try {
      const d = decoding.createDecoder(new Uint8Array(message.buffer, message.byteOffset, message.byteLength));
      if (decoding.readVarString(d) === this.nodeId) return;
      const kind = decoding.readVarUint(d);
      if (kind === KIND_UPDATE) {
        const n = decoding.readVarUint(d);
        const ids: number[] = [];
        for (let i = 0; i < n; i++) ids.push(decoding.readVarUint(d));
        this.onMessage(doc, { kind: 'update', ids, update: decoding.readVarUint8Array(d) });
      } else if (kind === KIND_AWARENESS) {
        this.onMessage(doc, { kind: 'awareness', update: decoding.readVarUint8Array(d) });
      }
    } catch (err) {
      this.log.warn({ err, doc }, 'notes bus: dropped a malformed message');
    }
  }

  async close(): Promise<void> {
    this.offReconnect();
    this.sub.off('messageBuffer', this.onBuffer);
    for (const doc of this.docs) this.sub.unsubscribe(this.prefix + doc).catch(() => {});
    this.docs.clear();
    this.lease.release();
  }
}
