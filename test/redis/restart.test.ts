import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { useCluster, until } from '../helpers/cluster.js';
import { createTestDatabase } from '../helpers/db.js';
import { startNode } from '../helpers/server.js';
import { Api } from '../helpers/api.js';
import { realtimeExtension } from '../../server/realtime/realtime.extension.js';
import { notesExtension } from '../../server/notes/index.js';
import type { LiveClient } from '../realtime/live-client.js';
import { noteClient, synced } from '../notes/helpers.js';

/**
 * Every use of Redis on a node (live-event bus, presence through the Socket.IO adapter, the notes relay,
 * the shared login limit) must work again after Redis is killed and restarted empty. The backstops that
 * would hide a dead subscription are turned off: no periodic reconcile from the outbox, no periodic note
 * catch-up from PostgreSQL. So whatever crosses nodes after the restart crossed through Redis.
 */
const LOGIN_MAX = 4;
const cluster = useCluster({
  nodes: 2,
  redis: 'own',
  orgs: ['restart'],
  create: { loginLimit: { max: LOGIN_MAX, windowMs: 60_000 } },
  extensions: () => [
    realtimeExtension({ tickMs: 100, sweepAfterMs: 200, presenceTtlMs: 1500, reconcileMs: 600_000 }),
    notesExtension({ catchUpMs: 600_000 }),
  ],
});

/** Fails fast instead of waiting out the test timeout: a dead subscription shows up as a timeout here. */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms))]);
}
const bothHealthy = () =>
  until(async () => {
    const [ha, hb] = await Promise.all(cluster.nodes.map((n) => cluster.health(n)));
    return ha.status === 'ok' && hb.status === 'ok';
  });
const lastPresence = (c: LiveClient, entityId: string) =>
  [...c.other].reverse().find((m) => m.name === 'presence.state' && m.body.entityId === entityId)?.body;
const names = (s: any) => s.users.map((u: any) => u.name).join();

/** The clients connected on this node's Redis, by the connection names server/redis/ gives them. */
async function connectionsOf(url: string, nodeId: string): Promise<string[]> {
  const r = new Redis(url);
  try {
    const list = (await r.client('LIST')) as string;
    return list
      .split('\n')
      .map((l) => /\bname=(\S*)/.exec(l)?.[1] ?? '')
      .filter((n) => n.startsWith(`${nodeId}:`))
      .sort();
  } finally {
    r.disconnect();
  }
}

describe('a Redis kill and restart', () => {
  it('opens two connections per node: one for commands, one for subscriptions', async () => {
    const r = new Redis(cluster.redisUrl);
    const total = ((await r.client('LIST')) as string).trim().split('\n').length - 1; // minus this one
    r.disconnect();
    for (const n of cluster.nodes) {
      const id = n.pulse.config.nodeId;
      expect(await connectionsOf(cluster.redisUrl, id)).toEqual([`${id}:command`, `${id}:subscriber`]);
    }
    expect(total).toBe(2 * cluster.nodes.length);
  });

  it('leaves every subscription working: live events, presence and notes across nodes, and the shared login limit', async () => {
    const [a, b] = cluster.nodes;
    const { org } = cluster;
    // Everything subscribed before the outage.
    const adminOnB = await cluster.open(b, { token: org.admin.token });
    const repOnA = await cluster.open(a, { token: org.rep1.token });
    const dealId = (await org.rep1.api.post('/deals', { name: 'through the outage', pipelineId: org.pipelineId })).body.id;
    await within(
      5000,
      'event before the outage',
      adminOnB.untilEvent((e) => e.data.id === dealId),
    );
    const doc = `deal:${dealId}`;
    const writer = noteClient(a.url, doc, org.rep1.token);
    const reader = noteClient(b.url, doc, org.admin.token);
    try {
      await Promise.all([synced(writer), synced(reader)]);
      writer.text.insert(0, 'before ');
      await within(
        5000,
        'note relay before the outage',
        until(async () => reader.text.toString() === 'before '),
      );

      await cluster.redis!.stop();
      await until(async () => (await cluster.health(b)).status === 'degraded');
      await cluster.redis!.start();
      await bothHealthy();

      // Live events, both directions, through the bus subscription alone.
      const fromA = await new Api(a.url, org.rep1.token).post('/deals', { name: 'after, from A', pipelineId: org.pipelineId });
      expect(fromA.status).toBe(201);
      await within(
        5000,
        'event A → B',
        adminOnB.untilEvent((e) => e.data.id === fromA.body.id),
      );
      const fromB = await new Api(b.url, org.rep1.token).post('/deals', { name: 'after, from B', pipelineId: org.pipelineId });
      await within(
        5000,
        'event B → A',
        repOnA.untilEvent((e) => e.data.id === fromB.body.id),
      );

      // Presence across nodes: a join on A reaches the watcher on B through the Socket.IO adapter.
      const watched = fromA.body.id;
      expect(names((await adminOnB.request('presence.join', { entityType: 'deal', entityId: watched })).state)).toBe('Admin');
      await repOnA.request('presence.join', { entityType: 'deal', entityId: watched });
      await within(
        5000,
        'presence A → B',
        adminOnB.until((c) => {
          const s = lastPresence(c, watched);
          return s && names(s) === 'Admin,rep1';
        }),
      );

      // Notes: the doc subscribed before the outage relays again, and so does one opened after it.
      writer.text.insert(writer.text.length, 'after');
      await within(
        5000,
        'note relay A → B (old subscription)',
        until(async () => reader.text.toString() === 'before after'),
      );
      const doc2 = `deal:${fromB.body.id}`;
      const w2 = noteClient(a.url, doc2, org.rep1.token);
      const r2 = noteClient(b.url, doc2, org.admin.token);
      try {
        await Promise.all([synced(w2), synced(r2)]);
        w2.text.insert(0, 'fresh');
        await within(
          5000,
          'note relay A → B (new subscription)',
          until(async () => r2.text.toString() === 'fresh'),
        );
      } finally {
        w2.destroy();
        r2.destroy();
      }

      // The login limit is shared again: attempts spread over both nodes add up.
      const email = 'nobody-in-particular@t.test';
      const statuses: number[] = [];
      for (let i = 0; i <= LOGIN_MAX; i++)
        statuses.push((await new Api(cluster.nodes[i % 2].url).post('/auth/login', { email, password: 'wrong password ' + i })).status);
      expect(statuses).toEqual([...Array(LOGIN_MAX).fill(401), 429]);
    } finally {
      writer.destroy();
      reader.destroy();
    }
  });

  it('keeps deployments sharing one Redis apart: a login limit on one does not lock out the other', async () => {
    const other = await createTestDatabase();
    const elsewhere = await startNode({
      databaseUrl: other.url,
      redisUrl: cluster.redisUrl,
      create: { loginLimit: { max: LOGIN_MAX, windowMs: 60_000 } },
    });
    try {
      const email = 'same.person@t.test';
      const pw = 'correct horse battery';
      for (const n of [cluster.nodes[0], elsewhere])
        expect((await new Api(n.url).post('/auth/signup', { tenantName: 'Same', name: 'Same', email, password: pw })).status).toBe(201);
      const here = new Api(cluster.nodes[0].url);
      for (let i = 0; i <= LOGIN_MAX; i++) await here.post('/auth/login', { email, password: 'wrong ' + i });
      expect((await here.post('/auth/login', { email, password: pw })).status).toBe(429);
      expect((await new Api(elsewhere.url).post('/auth/login', { email, password: pw })).status).toBe(200);
    } finally {
      await elsewhere.close();
      await other.drop();
    }
  });
});
