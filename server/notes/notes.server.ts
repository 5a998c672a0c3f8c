import type http from 'node:http';
import type { Duplex } from 'node:stream';
import * as awarenessProtocol from 'y-protocols/awareness';
import { WebSocketServer, WebSocket } from 'ws';
import type { PulseContext } from '../extension.js';
import type { CommittedEvent } from '../events/outbox.js';
import { NoteStore } from './note.store.js';
import { NoteBus } from './note.bus.js';
import { send, type Session, type NoteDoc } from './note-doc.js';
import type { NotesOptions, NotesRuntime } from './runtime.js';
import { admit, PreAuthQueue, MAX_MESSAGE_BYTES, YJS_PREFIX } from './handshake.js';
import { feedAction, recheckSession, recordExists } from './access.js';
import { DocLifecycle } from './doc-lifecycle.js';
import { receiveUpdate } from './group-commit.js';
import { compactDoc } from './compaction.js';
import { catchUp, fromBus } from './remote-updates.js';
import { pinAwareness } from './awareness.js';
import { parseDocName } from './doc-name.js';
import {
  decodeClientMessage,
  syncStep1,
  syncStep2,
  awarenessMessage,
  accessModeMessage,
  CLOSE_BAD_MESSAGE,
  CLOSE_ACCESS_LOST,
  CLOSE_STORAGE_FAILED,
} from './protocol.js';

export { YJS_PREFIX } from './handshake.js';
export type { NotesOptions } from './runtime.js';

/**
 * The y-websocket protocol server for deal and contact notes, built directly on y-protocols so that
 * auth, persistence and fan-out stay in our hands. This file wires the parts together: the handshake
 * (handshake.ts), the document lifecycle (doc-lifecycle.ts), group commit of checked client updates
 * (group-commit.ts, update-check.ts), other nodes' updates (remote-updates.ts), compaction
 * (compaction.ts), the text projection (text-projection.ts) and access checks (access.ts).
 */
export class NotesServer {
  readonly store: NoteStore;
  private rt: NotesRuntime;
  private lifecycle: DocLifecycle;
  private wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  private timer: NodeJS.Timeout | null = null;
  private pinger: NodeJS.Timeout | null = null;
  private ticking = false;
  private closing = false;
  private alive = new WeakSet<WebSocket>();
  private offFeed: (() => void) | null = null;

  constructor(
    private ctx: PulseContext,
    opts: NotesOptions = {},
  ) {
    const o: Required<NotesOptions> = {
      recheckMs: 10_000,
      catchUpMs: 2_000,
      compactMinBytes: 64 * 1024,
      compactIdleMs: 30_000,
      projectionDelayMs: 2_000,
      redisUrl: ctx.config.redisUrl,
      ...opts,
    };
    this.store = new NoteStore(ctx.orm);
    this.rt = {
      ctx,
      opts: o,
      store: this.store,
      bus: null,
      docs: new Map(),
      totals: { appended: { rows: 0, bytes: 0 }, compactions: { runs: 0, folded: 0, bytesBefore: 0, bytesAfter: 0 }, refused: 0, quarantined: 0 },
      closeSession: (s, code, reason) => this.closeSession(s, code, reason),
    };
    if (o.redisUrl) {
      this.rt.bus = new NoteBus(
        o.redisUrl,
        ctx.config.nodeId,
        ctx.log,
        (doc, m) => fromBus(this.rt, doc, m),
        () => {
          for (const d of this.rt.docs.values()) void catchUp(this.rt, d);
        },
      );
    }
    this.lifecycle = new DocLifecycle(this.rt);
  }

  start(): void {
    this.ctx.server.on('upgrade', this.onUpgrade);
    this.offFeed = this.ctx.feed.on((e) => this.onFeed(e));
    const { catchUpMs, recheckMs } = this.rt.opts;
    const tick = Math.max(50, Math.min(1000, catchUpMs, recheckMs));
    this.timer = setInterval(() => {
      void this.tick();
    }, tick);
    this.timer.unref();
    // Dead peers (no pong within 30 s) are dropped so their docs can unload.
    this.pinger = setInterval(() => {
      for (const ws of this.wss.clients) {
        if (!this.alive.has(ws)) {
          ws.terminate();
          continue;
        }
        this.alive.delete(ws);
        ws.ping();
      }
    }, 30_000);
    this.pinger.unref();
  }

  stats() {
    let sessions = 0;
    for (const d of this.rt.docs.values()) sessions += d.sessions.size;
    const t = this.rt.totals;
    return {
      docs: this.rt.docs.size,
      sessions,
      sockets: this.wss.clients.size,
      appended: { ...t.appended },
      compactions: { ...t.compactions },
      bus: this.rt.bus ? (this.rt.bus.connected ? 'ok' : 'down') : 'none',
      subscriptions: this.rt.bus?.subscriptions ?? 0,
      refused: t.refused,
      quarantined: t.quarantined,
    };
  }

  /** stats() plus the rows in quarantine across the deployment (what a person should look at). */
  async health() {
    const stored = await this.store.quarantined().catch(() => null);
    return { ...this.stats(), quarantine: { stored, movedByThisNode: this.rt.totals.quarantined } };
  }

  isLoaded(doc: string): boolean {
    return this.rt.docs.has(doc);
  }

  busDown(): boolean {
    return !!this.rt.bus && !this.rt.bus.connected;
  }

  private onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Socket.IO listens for upgrades too: anything outside our prefix is not ours to touch.
    if (!req.url || !req.url.startsWith(YJS_PREFIX)) return;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      void this.accept(ws, req);
    });
  };

  private async accept(ws: WebSocket, req: http.IncomingMessage): Promise<void> {
    this.alive.add(ws);
    ws.on('pong', () => this.alive.add(ws));
    const early = new PreAuthQueue();
    let session: Session | null = null;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const buf = isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(0);
      if (session) {
        this.onMessage(session, buf);
        return;
      }
      // A client that floods before it is even admitted is not a y-websocket client.
      const over = early.push(buf);
      if (over && ws.readyState === WebSocket.OPEN) ws.close(over.code, over.reason);
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      if (session) this.onClose(session);
    });
    try {
      if (this.closing) {
        ws.close(1001, 'server shutting down');
        return;
      }
      const a = await admit(this.ctx, req);
      if (!a.ok) {
        ws.close(a.code, a.reason);
        return;
      }
      if (ws.readyState !== WebSocket.OPEN) return;
      let doc = await this.lifecycle.get(a.name, a.viewer.tenantId);
      // The housekeeping sweep may have started unloading it in between; joining must not revive it.
      while (doc.unloading) doc = await this.lifecycle.get(a.name, a.viewer.tenantId);
      session = {
        ws,
        token: a.token,
        viewer: a.viewer,
        access: a.access,
        doc,
        awarenessIds: new Set(),
        lastCheck: Date.now(),
        checking: false,
        closed: false,
      };
      doc.sessions.add(session);
      if (ws.readyState !== WebSocket.OPEN) {
        this.onClose(session);
        return;
      }
      send(session, syncStep1(doc.ydoc));
      if (a.access === 'read') send(session, accessModeMessage('read-only'));
      if (doc.awareness.getStates().size > 0) {
        send(session, awarenessMessage(awarenessProtocol.encodeAwarenessUpdate(doc.awareness, [...doc.awareness.getStates().keys()])));
      }
      for (const m of early.drain()) this.onMessage(session, m);
    } catch (err) {
      this.ctx.log.error({ err }, 'notes: connection setup failed');
      if (session) this.onClose(session);
      ws.close(CLOSE_STORAGE_FAILED, 'INTERNAL');
    }
  }

  private onMessage(s: Session, buf: Uint8Array): void {
    if (s.closed) return;
    const d = s.doc;
    const m = decodeClientMessage(buf);
    switch (m.type) {
      case 'sync-step1':
        send(s, syncStep2(d.ydoc, m.stateVector));
        return;
      case 'update':
        // Read-only sessions sync and share presence, but their edits go nowhere.
        if (s.access === 'write') receiveUpdate(this.rt, s, m.update);
        return;
      case 'awareness': {
        try {
          awarenessProtocol.applyAwarenessUpdate(d.awareness, pinAwareness(m.update, s.viewer), s);
        } catch {
          this.closeSession(s, CLOSE_BAD_MESSAGE, 'malformed awareness update');
        }
        return;
      }
      case 'query-awareness':
        send(s, awarenessMessage(awarenessProtocol.encodeAwarenessUpdate(d.awareness, [...d.awareness.getStates().keys()])));
        return;
      case 'auth':
        return;
      case 'bad':
        this.closeSession(s, CLOSE_BAD_MESSAGE, m.reason);
    }
  }

  private closeSession(s: Session, code: number, reason: string): void {
    if (s.ws.readyState === WebSocket.OPEN || s.ws.readyState === WebSocket.CONNECTING) s.ws.close(code, reason);
    this.onClose(s);
  }

  private onClose(s: Session): void {
    if (s.closed) return;
    s.closed = true;
    const d = s.doc;
    d.sessions.delete(s);
    if (s.awarenessIds.size) awarenessProtocol.removeAwarenessStates(d.awareness, [...s.awarenessIds], null);
    if (d.sessions.size === 0) void this.lifecycle.unload(d);
  }

  // ---- feed events: real deletions drop the note, everything else only re-checks sessions

  private onFeed(e: CommittedEvent): void {
    const a = feedAction(e);
    if (a.kind === 'deleted') void this.dropDeleted(a.doc, e.tenantId);
    else if (a.kind === 'recheck') for (const doc of a.docs) for (const s of this.sessionsOf(doc)) void recheckSession(this.rt, s);
    else if (a.kind === 'recheck-tenant') {
      for (const d of this.rt.docs.values()) if (d.tenantId === a.tenantId) for (const s of [...d.sessions]) void recheckSession(this.rt, s);
    }
  }

  /** The record is gone, so is its note: close its sessions, skip the final compaction, delete the rows. */
  private async dropDeleted(doc: string, tenantId: string): Promise<void> {
    const name = parseDocName(doc);
    if (!name) return;
    // Belt and braces: a note is only ever dropped for a record that is really gone.
    if (await recordExists(this.ctx, name, tenantId).catch(() => true)) {
      this.ctx.log.warn({ doc }, 'notes: a deletion event for a record that still exists; the note is kept');
      for (const s of this.sessionsOf(doc)) void recheckSession(this.rt, s);
      return;
    }
    const d = this.rt.docs.get(doc);
    if (d && d.tenantId === tenantId) {
      d.deleted = true;
      for (const s of [...d.sessions]) this.closeSession(s, CLOSE_ACCESS_LOST, 'NOT_FOUND');
      await this.lifecycle.unload(d);
    }
    // Every node hears this; deleting a note that is already gone is harmless.
    await this.store.drop(tenantId, doc).catch((err) => this.ctx.log.warn({ err, doc }, 'notes: dropping a deleted note failed'));
  }

  private sessionsOf(doc: string): Session[] {
    const d = this.rt.docs.get(doc);
    return d ? [...d.sessions] : [];
  }

  // ---- housekeeping

  private async tick(): Promise<void> {
    if (this.ticking || this.closing) return;
    this.ticking = true;
    try {
      const now = Date.now();
      const { recheckMs, catchUpMs, compactMinBytes, compactIdleMs } = this.rt.opts;
      for (const d of [...this.rt.docs.values()]) {
        if (d.unloading) continue;
        // A doc nobody joined (the socket left while it loaded) is freed after a grace period.
        if (d.sessions.size === 0) {
          if (now - d.loadedAt > 5_000) void this.lifecycle.unload(d);
          continue;
        }
        if (d.tainted) {
          this.reload(d);
          continue;
        }
        for (const s of d.sessions) if (now - s.lastCheck >= recheckMs) void recheckSession(this.rt, s);
        if (now - d.lastCatchUp >= catchUpMs) await catchUp(this.rt, d).catch((err) => this.ctx.log.warn({ err }, 'notes: catch-up failed'));
        const due = d.sinceCompactBytes >= Math.max(compactMinBytes, d.snapshotBytes);
        // Compacting re-encodes the whole doc (and other nodes apply the new snapshot), so while people type
        // it runs only when the log has grown as large as the snapshot; otherwise once the doc goes quiet.
        if (d.sinceCompact > 0 && (due || now - d.lastAppend >= compactIdleMs)) await compactDoc(this.rt, d);
      }
    } finally {
      this.ticking = false;
    }
  }

  /** A doc that may hold what is not stored is dropped from memory: its clients reconnect and load it afresh. */
  private reload(d: NoteDoc): void {
    this.ctx.log.warn({ doc: d.name.name }, 'notes: reloading a doc whose live state cannot be trusted');
    for (const s of [...d.sessions]) this.closeSession(s, CLOSE_STORAGE_FAILED, 'note reloading');
  }

  async close(): Promise<void> {
    this.closing = true;
    this.ctx.server.off('upgrade', this.onUpgrade);
    this.offFeed?.();
    if (this.timer) clearInterval(this.timer);
    if (this.pinger) clearInterval(this.pinger);
    const docs = [...this.rt.docs.values()];
    for (const d of docs) for (const s of [...d.sessions]) this.closeSession(s, 1001, 'server shutting down');
    await Promise.all(docs.map((d) => this.lifecycle.unload(d)));
    await Promise.all(this.lifecycle.pending().map((p) => p.catch(() => {})));
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    await this.rt.bus?.close();
  }
}
