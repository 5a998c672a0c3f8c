import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import type { Cluster } from '../helpers/cluster.js';

export interface NoteClient {
  doc: Y.Doc;
  text: Y.Text;
  provider: WebsocketProvider;
  /** Access-mode notices the server sent (Pulse's auth sub-type 1). */
  modes: string[];
  closed: Promise<{ code: number; reason: string }>;
  destroy(): void;
}

/** A stock y-websocket client, as the browser runs it (BroadcastChannel off: every byte goes through the server). */
export function noteClient(base: string, docName: string, token: string | null, opts: { cookie?: string; origin?: string } = {}): NoteClient {
  const doc = new Y.Doc();
  const params: Record<string, string> = token ? { token } : {};
  const headers: Record<string, string> = {};
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.origin) headers.origin = opts.origin;
  const Ws = Object.keys(headers).length
    ? class extends WebSocket {
        constructor(url: string, protocols?: any) {
          super(url, protocols, { headers });
        }
      }
    : WebSocket;
  const provider = new WebsocketProvider(base.replace(/^http/, 'ws') + '/yjs', docName, doc, {
    params,
    WebSocketPolyfill: Ws as any,
    disableBc: true,
  });
  const modes: string[] = [];
  const denied = provider.messageHandlers[2];
  provider.messageHandlers[2] = (encoder, decoder, p, emitSynced, type) => {
    const copy = decoding.clone(decoder);
    if (decoding.readVarUint(copy) === 1) {
      modes.push(decoding.readVarString(copy));
      return;
    }
    denied(encoder, decoder, p, emitSynced, type);
  };
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    provider.on('closed', (c: { code: number; reason: string }) => resolve(c));
  });
  return {
    doc,
    text: doc.getText('note'),
    provider,
    modes,
    closed,
    destroy: () => {
      provider.destroy();
      doc.destroy();
    },
  };
}

/** `noteClient` for a file on `useCluster`: every client it makes is destroyed at the cluster's teardown. */
export function clusterNoteClient(cluster: Cluster): typeof noteClient {
  return (base, docName, token, opts) => {
    const c = noteClient(base, docName, token, opts);
    cluster.teardown.push(() => c.destroy());
    return c;
  };
}

export function synced(c: NoteClient): Promise<void> {
  if (c.provider.synced) return Promise.resolve();
  return new Promise((resolve) =>
    c.provider.once('sync', (s: boolean) => {
      if (s) resolve();
    }),
  );
}

/** Polls until `cond` holds; fails with `what` after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sameState = (a: Y.Doc, b: Y.Doc) =>
  Buffer.from(Y.encodeStateVector(a)).equals(Buffer.from(Y.encodeStateVector(b))) && a.getText('note').toString() === b.getText('note').toString();

/** A raw socket, for protocol-level checks the stock client would never send. */
export function rawSocket(
  base: string,
  path: string,
): Promise<{ ws: WebSocket; messages: Buffer[]; closed: Promise<{ code: number; reason: string }> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(base.replace(/^http/, 'ws') + path);
    const messages: Buffer[] = [];
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.on('message', (m: Buffer) => messages.push(m));
    ws.on('open', () => resolve({ ws, messages, closed }));
    ws.on('error', reject);
  });
}
