import http from 'node:http';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { useNodeWithOrg, startNode } from '../helpers/server.js';
import { realtimeExtension } from '../../server/realtime/realtime.extension.js';
import { notesExtension } from '../../server/notes/index.js';
import { answerUnclaimedUpgrades } from '../../server/http/upgrade.js';
import { connect } from '../realtime/live-client.js';
import { noteClient, synced } from '../notes/helpers.js';

/**
 * A WebSocket upgrade to a path no feature serves is answered and closed (it used to hang forever,
 * no byte sent); /socket.io/ and /yjs/ keep working.
 */
const ctx = useNodeWithOrg('upgrade', { extensions: () => [realtimeExtension(), notesExtension()] });

interface RawAnswer {
  head: string;
  closed: boolean;
  ms: number;
}

/** A raw TCP upgrade request; resolves with what came back within `waitMs` and whether the server closed. */
function rawUpgrade(base: string, path: string, waitMs = 1_000): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s = net.connect(Number(port), hostname);
    let data = '';
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      s.destroy();
      resolve({ head: data, closed, ms: Date.now() - t0 });
    };
    s.on('data', (d) => {
      data += d.toString('latin1');
    });
    s.on('close', () => finish(true));
    s.on('error', () => finish(true));
    setTimeout(() => finish(false), waitMs);
    s.write(
      `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    );
  });
}

describe('WebSocket upgrades', () => {
  it('to paths nobody serves get 404 and are closed within a second', async () => {
    for (const path of ['/api/foo', '/nope', '/', '/api/contacts', '/socket.iox', '/yjs', '/%E0%A4%A']) {
      const r = await rawUpgrade(ctx.node.url, path);
      expect(r.head, path).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
      expect(r.closed, path).toBe(true);
      expect(r.ms, path).toBeLessThan(1_000);
    }
  });

  it('to /socket.io/ and /yjs/ still switch protocols', async () => {
    const io = await rawUpgrade(ctx.node.url, '/socket.io/?EIO=4&transport=websocket', 500);
    expect(io.head).toMatch(/^HTTP\/1\.1 101 /);
    const yjs = await rawUpgrade(ctx.node.url, `/yjs/deal:00000000-0000-4000-8000-000000000000`, 500);
    expect(yjs.head).toMatch(/^HTTP\/1\.1 101 /);
  });

  it('real clients still connect: Socket.IO gets its session, a note syncs', async () => {
    const live = await connect(ctx.node.url, { token: ctx.org.rep1.token });
    expect(live.ready).toBeTruthy();
    live.close();
    const deal = await ctx.org.rep1.api.post('/deals', { name: 'Upgrade', pipelineId: ctx.org.pipelineId });
    const note = noteClient(ctx.node.url, `deal:${deal.body.id}`, ctx.org.rep1.token);
    try {
      await synced(note);
      note.text.insert(0, 'still works');
      expect(note.text.toString()).toBe('still works');
    } finally {
      note.destroy();
    }
  });
});

describe('the last-resort upgrade listener', () => {
  const servers: http.Server[] = [];
  afterAll(async () => {
    for (const s of servers)
      await new Promise((r) => {
        s.close(r);
        s.closeAllConnections();
      });
  });
  const listen = async (s: http.Server) => {
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(s.address() as net.AddressInfo).port}`;
  };

  it('answers 404 on a node without realtime or notes, even on their paths', async () => {
    const bare = await startNode({ databaseUrl: ctx.db.url });
    try {
      for (const path of ['/socket.io/?EIO=4&transport=websocket', '/yjs/x', '/api/foo']) {
        const r = await rawUpgrade(bare.url, path);
        expect(r.head, path).toMatch(/^HTTP\/1\.1 404 /);
        expect(r.closed, path).toBe(true);
      }
    } finally {
      await bare.close();
    }
  });

  it('gives an owned path its handler time, then 503 when the handler never answers', async () => {
    const s = http.createServer();
    s.on('upgrade', () => {
      /* a handler for /yjs/ that has stalled */
    });
    answerUnclaimedUpgrades(s, { graceMs: 300 });
    const url = await listen(s);
    const r = await rawUpgrade(url, '/yjs/x', 2_000);
    expect(r.head).toMatch(/^HTTP\/1\.1 503 /);
    expect(r.ms).toBeGreaterThanOrEqual(250);
    expect(r.closed).toBe(true);
  });

  it('leaves a socket alone once another listener has answered it', async () => {
    const s = http.createServer();
    s.on('upgrade', (_req, socket) => {
      socket.write('HTTP/1.1 418 Teapot\r\nConnection: close\r\n\r\n');
      setTimeout(() => socket.end(), 200);
    });
    answerUnclaimedUpgrades(s);
    const url = await listen(s);
    const r = await rawUpgrade(url, '/elsewhere', 1_000);
    expect(r.head).toBe('HTTP/1.1 418 Teapot\r\nConnection: close\r\n\r\n');
  });
});
