import type http from 'node:http';
import type { Duplex } from 'node:stream';
import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import { WebSocketServer, WebSocket } from 'ws';
import type { PulseContext } from '../extension.js';
import type { Viewer } from '../auth/viewer.js';
import type { CommittedEvent } from '../events/outbox.js';
import type { Access } from '../policy/policy.js';
import { sameOrigin, sessionCookieToken } from '../auth/session-cookie.js';
import { parseDocName, type DocName } from './doc-name.js';
import { NoteStore } from './note.store.js';
import { NoteBus, type BusMessage } from './note.bus.js';
import { projectDealNote } from './note.projection.js';
import {
  decodeClientMessage, syncStep1, syncStep2, updateMessage, awarenessMessage, accessModeMessage, pinAwarenessIdentity,
  CLOSE_BAD_MESSAGE, CLOSE_UNAUTHENTICATED, CLOSE_ACCESS_LOST, CLOSE_NOT_FOUND, CLOSE_STORAGE_FAILED,
} from './protocol.js';

export const YJS_PREFIX = '/yjs/';

export interface NotesOptions {
  /** How often each open session's access is re-checked without any feed event (ms). */
  recheckMs?: number;
  /** How often loaded docs read updates they may have missed from PostgreSQL (ms). */
  catchUpMs?: number;
  /**
   * Compact a doc once the bytes logged since the last compaction reach the snapshot's size (at least
   * this many bytes), so the work stays linear in what was written...
   */
  compactMinBytes?: number;
  /** ...or when it has uncompacted updates this old (ms). */
  compactIdleMs?: number;
  /** Debounce of the plain-text projection onto the deal (ms). */
  projectionDelayMs?: number;
  /** Redis for multi-node fan-out; defaults to the node's REDIS_URL. */
  redisUrl?: string | null;
}

interface Session {
  ws: WebSocket;
  token: string;
  viewer: Viewer;
  access: 'write' | 'read';
  doc: NoteDoc;
  awarenessIds: Set<number>;
  lastCheck: number;
  checking: boolean;
  closed: boolean;
}

interface Pending { update: Uint8Array; session: Session }

/** One loaded document: the Y.Doc, its awareness, its local sessions, and its log bookkeeping. */
class NoteDoc {
  readonly ydoc = new Y.Doc({ gc: true });
  readonly awareness = new awarenessProtocol.Awareness(this.ydoc);
  readonly sessions = new Set<Session>();
  queue: Pending[] = [];
  flushing: Promise<void> | null = null;
  /** Every log id <= safeMark has been applied; ids above it that we applied are in `seen`. */
  safeMark = 0;
  seen = new Set<number>();
  snapshotSeen = 0;
  sinceCompact = 0;
  sinceCompactBytes = 0;
  snapshotBytes = 0;
  /** When this node last stored an edit: a quiet doc is compacted, one being typed in waits for the size trigger. */
  lastAppend = Date.now();
  lastCatchUp = Date.now();
  readonly loadedAt = Date.now();
  compacting = false;
  lastEditor: Viewer | null = null;
  projectTimer: NodeJS.Timeout | null = null;
  projectDirty = false;
  dirtySince = 0;
  unloading: Promise<void> | null = null;
  deleted = false;
  constructor(readonly name: DocName, readonly tenantId: string) {
    // The server holds no awareness state of its own.
    this.awareness.setLocalState(null);
  }
}

const ORIGIN_REMOTE = Symbol('remote');
const ORIGIN_LOAD = Symbol('load');

/**
 * Applies a snapshot to a doc that already holds most of it (another node's compaction). Applying the
 * whole snapshot decodes every struct of the note; diffing against the doc's state vector first keeps
 * only the structs it lacks plus the delete set, which measured ~3.5x cheaper on a 1 MB note (88 vs 315 ms
 * of blocked event loop). The result is the same: Yjs skips structs a doc already has either way.
 */
function applyMissing(doc: Y.Doc, update: Uint8Array, origin: unknown): void {
  Y.applyUpdate(doc, Y.diffUpdate(update, Y.encodeStateVector(doc)), origin);
}

function isEmptyUpdate(u: Uint8Array): boolean {
  const d = Y.decodeUpdate(u); // throws on a malformed update
  return d.structs.length === 0 && d.ds.clients.size === 0;
}

/**
 * The y-websocket protocol server for deal and contact notes, built directly on y-protocols so that
 * auth, persistence and fan-out stay in our hands: every client update is in PostgreSQL before it is
 * applied, relayed to local clients and published to other nodes.
 */
export class NotesServer {
  readonly store: NoteStore;
  private bus: NoteBus | null = null;
  private wss = new WebSocketServer({ noServer: true, maxPayload: 8 * 1024 * 1024 });
  private docs = new Map<string, NoteDoc>();
  private loading = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private pinger: NodeJS.Timeout | null = null;
  private ticking = false;
  /** Totals for health and the benchmark. */
  private appended = { rows: 0, bytes: 0 };
  private compactions = { runs: 0, folded: 0, bytesBefore: 0, bytesAfter: 0 };
  private closing = false;
  private alive = new WeakSet<WebSocket>();
  private offFeed: (() => void) | null = null;
  private opts: Required<NotesOptions>;

  constructor(private ctx: PulseContext, opts: NotesOptions = {}) {
    this.opts = {
      recheckMs: 10_000, catchUpMs: 2_000, compactMinBytes: 64 * 1024, compactIdleMs: 30_000, projectionDelayMs: 2_000,
      redisUrl: ctx.config.redisUrl, ...opts,
    };
    this.store = new NoteStore(ctx.orm);
    if (this.opts.redisUrl) {
      this.bus = new NoteBus(this.opts.redisUrl, ctx.config.nodeId, ctx.log,
        (doc, m) => this.fromBus(doc, m), () => { for (const d of this.docs.values()) void this.catchUp(d); });
    }
  }

  start(): void {
    this.ctx.server.on('upgrade', this.onUpgrade);
    this.offFeed = this.ctx.feed.on((e) => this.onFeed(e));
    const tick = Math.max(50, Math.min(1000, this.opts.catchUpMs, this.opts.recheckMs));
    this.timer = setInterval(() => { void this.tick(); }, tick);
    this.timer.unref();
    // Dead peers (no pong within 30 s) are dropped so their docs can unload.
    this.pinger = setInterval(() => {
      for (const ws of this.wss.clients) {
        if (!this.alive.has(ws)) { ws.terminate(); continue; }
        this.alive.delete(ws);
        ws.ping();
      }
    }, 30_000);
    this.pinger.unref();
  }

  stats() {
    let sessions = 0;
    for (const d of this.docs.values()) sessions += d.sessions.size;
    return {
      docs: this.docs.size, sessions, sockets: this.wss.clients.size, appended: { ...this.appended }, compactions: { ...this.compactions },
      bus: this.bus ? (this.bus.connected ? 'ok' : 'down') : 'none', subscriptions: this.bus?.subscriptions ?? 0,
    };
  }

  isLoaded(doc: string): boolean { return this.docs.has(doc); }

  busDown(): boolean { return !!this.bus && !this.bus.connected; }

  private onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Socket.IO listens for upgrades too: anything outside our prefix is not ours to touch.
    if (!req.url || !req.url.startsWith(YJS_PREFIX)) return;
    this.wss.handleUpgrade(req, socket, head, (ws) => { void this.accept(ws, req); });
  };

  private async accept(ws: WebSocket, req: http.IncomingMessage): Promise<void> {
    this.alive.add(ws);
    ws.on('pong', () => this.alive.add(ws));
    // The client speaks first (sync step 1, awareness); hold its messages until the session is ready.
    const early: Uint8Array[] = [];
    let session: Session | null = null;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const buf = isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(0);
      if (session) this.onMessage(session, buf);
      // A client that floods before it is even admitted is not a y-websocket client.
      else if (early.push(buf) > 64) ws.close(CLOSE_BAD_MESSAGE, 'too many messages before the session was ready');
    });
    ws.on('error', () => {});
    ws.on('close', () => { if (session) this.onClose(session); });
    try {
      if (this.closing) { ws.close(1001, 'server shutting down'); return; }
      const url = new URL(req.url!, 'http://x');
      let token = url.searchParams.get('token');
      if (!token) {
        token = sessionCookieToken(req.headers.cookie);
        if (token && !sameOrigin(req)) { ws.close(CLOSE_UNAUTHENTICATED, 'cross-origin session cookie'); return; }
      }
      const viewer = token ? await this.ctx.services.auth.authenticate(token) : null;
      if (!viewer || !token) { ws.close(CLOSE_UNAUTHENTICATED, 'UNAUTHENTICATED'); return; }
      let raw = '';
      try { raw = decodeURIComponent(url.pathname.slice(YJS_PREFIX.length)); } catch { /* stays invalid */ }
      const name = parseDocName(raw);
      const access = name ? await this.accessOf(viewer, name) : null;
      if (!name || !access) { ws.close(CLOSE_NOT_FOUND, 'NOT_FOUND'); return; }
      if (ws.readyState !== WebSocket.OPEN) return;
      let doc = await this.getDoc(name, viewer.tenantId);
      // The housekeeping sweep may have started unloading it in between; joining must not revive it.
      while (doc.unloading) doc = await this.getDoc(name, viewer.tenantId);
      session = { ws, token, viewer, access, doc, awarenessIds: new Set(), lastCheck: Date.now(), checking: false, closed: false };
      doc.sessions.add(session);
      if (ws.readyState !== WebSocket.OPEN) { this.onClose(session); return; }
      this.send(session, syncStep1(doc.ydoc));
      if (access === 'read') this.send(session, accessModeMessage('read-only'));
      if (doc.awareness.getStates().size > 0) {
        this.send(session, awarenessMessage(awarenessProtocol.encodeAwarenessUpdate(doc.awareness, [...doc.awareness.getStates().keys()])));
      }
      for (const m of early.splice(0)) this.onMessage(session, m);
    } catch (err) {
      this.ctx.log.error({ err }, 'notes: connection setup failed');
      if (session) this.onClose(session);
      ws.close(CLOSE_STORAGE_FAILED, 'INTERNAL');
    }
  }

  private accessOf(viewer: Viewer, name: DocName): Promise<Access> {
    const em = this.ctx.wp.read();
    return name.kind === 'deal' ? this.ctx.policy.dealAccess(em, viewer, name.id) : this.ctx.policy.contactAccess(em, viewer, name.id);
  }

  private send(s: Session, msg: Uint8Array): void {
    if (s.ws.readyState === WebSocket.OPEN) s.ws.send(msg, { binary: true }, () => {});
  }

  private closeSession(s: Session, code: number, reason: string): void {
    if (s.ws.readyState === WebSocket.OPEN || s.ws.readyState === WebSocket.CONNECTING) s.ws.close(code, reason);
    this.onClose(s);
  }

  // ---- documents: load, persist, fan out, unload

  private async getDoc(name: DocName, tenantId: string): Promise<NoteDoc> {
    for (;;) {
      const d = this.docs.get(name.name);
      if (d) {
        if (!d.unloading) return d;
        await d.unloading;
        continue;
      }
      let p = this.loading.get(name.name);
      if (!p) {
        p = this.load(name, tenantId).finally(() => this.loading.delete(name.name));
        this.loading.set(name.name, p);
      }
      await p;
    }
  }

  private async load(name: DocName, tenantId: string): Promise<void> {
    const d = new NoteDoc(name, tenantId);
    // Subscribe before reading so nothing published between the read and the subscription is missed.
    await this.bus?.subscribe(name.name);
    try {
      const loaded = await this.store.load(name.name);
      Y.transact(d.ydoc, () => { for (const p of loaded.parts) Y.applyUpdate(d.ydoc, p); }, ORIGIN_LOAD);
      for (const id of loaded.ids) d.seen.add(id);
      d.snapshotSeen = loaded.snapshotId;
      d.snapshotBytes = loaded.snapshotBytes;
    } catch (err) {
      await this.bus?.unsubscribe(name.name);
      d.awareness.destroy(); d.ydoc.destroy();
      throw err;
    }
    d.ydoc.on('update', (update: Uint8Array, origin: unknown) => {
      const msg = updateMessage(update);
      for (const s of d.sessions) if (s !== origin) this.send(s, msg);
    });
    d.awareness.on('update', ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
      const changed = [...added, ...updated, ...removed];
      if (typeof origin === 'object' && origin && (origin as Session).awarenessIds) {
        const s = origin as Session;
        for (const c of added) s.awarenessIds.add(c);
        for (const c of removed) s.awarenessIds.delete(c);
      }
      const update = awarenessProtocol.encodeAwarenessUpdate(d.awareness, changed);
      const msg = awarenessMessage(update);
      for (const s of d.sessions) this.send(s, msg);
      if (origin !== ORIGIN_REMOTE) this.bus?.publish(d.name.name, { kind: 'awareness', update });
    });
    this.docs.set(name.name, d);
  }

  private onMessage(s: Session, buf: Uint8Array): void {
    if (s.closed) return;
    const d = s.doc;
    const m = decodeClientMessage(buf);
    switch (m.type) {
      case 'sync-step1':
        this.send(s, syncStep2(d.ydoc, m.stateVector));
        return;
      case 'update': {
        // Read-only sessions sync and share presence, but their edits go nowhere.
        if (s.access !== 'write') return;
        let empty: boolean;
        try { empty = isEmptyUpdate(m.update); } catch { this.closeSession(s, CLOSE_BAD_MESSAGE, 'malformed update'); return; }
        if (empty) return;
        d.queue.push({ update: m.update, session: s });
        if (!d.flushing) d.flushing = this.flush(d).finally(() => { d.flushing = null; });
        return;
      }
      case 'awareness': {
        try {
          const pinned = pinAwarenessIdentity(m.update, s.viewer);
          awarenessProtocol.applyAwarenessUpdate(d.awareness, pinned.update, s);
        } catch { this.closeSession(s, CLOSE_BAD_MESSAGE, 'malformed awareness update'); }
        return;
      }
      case 'query-awareness':
        this.send(s, awarenessMessage(awarenessProtocol.encodeAwarenessUpdate(d.awareness, [...d.awareness.getStates().keys()])));
        return;
      case 'auth':
        return;
      case 'bad':
        this.closeSession(s, CLOSE_BAD_MESSAGE, m.reason);
    }
  }

  /** Group commit: whatever arrived while the previous INSERT ran goes into the next one. */
  private async flush(d: NoteDoc): Promise<void> {
    while (d.queue.length) {
      const batch = d.queue.splice(0, 1000);
      let ids: number[];
      try {
        ids = await this.store.append(d.tenantId, d.name.name, batch.map((b) => b.update));
      } catch (err) {
        // Not stored, so not applied: the clients still hold these edits and resend them when they reconnect.
        this.ctx.log.error({ err, doc: d.name.name }, 'notes: storing updates failed');
        for (const s of new Set(batch.map((b) => b.session))) this.closeSession(s, CLOSE_STORAGE_FAILED, 'storage unavailable');
        continue;
      }
      for (const id of ids) d.seen.add(id);
      const merged = batch.length === 1 ? batch[0].update : Y.mergeUpdates(batch.map((b) => b.update));
      const origin = batch.every((b) => b.session === batch[0].session) ? batch[0].session : null;
      try { Y.applyUpdate(d.ydoc, merged, origin); } catch (err) { this.ctx.log.error({ err, doc: d.name.name }, 'notes: applying a stored update failed'); }
      this.bus?.publish(d.name.name, { kind: 'update', ids, update: merged });
      d.sinceCompact += batch.length;
      for (const b of batch) { d.sinceCompactBytes += b.update.byteLength; this.appended.rows++; this.appended.bytes += b.update.byteLength; }
      d.lastEditor = batch[batch.length - 1].session.viewer;
      d.lastAppend = Date.now();
      this.scheduleProjection(d);
    }
  }

  private fromBus(doc: string, m: BusMessage): void {
    const d = this.docs.get(doc);
    if (!d || d.unloading) return;
    if (m.kind === 'awareness') {
      try { awarenessProtocol.applyAwarenessUpdate(d.awareness, m.update, ORIGIN_REMOTE); } catch { /* malformed: ignore */ }
      return;
    }
    if (m.ids.length && m.ids.every((id) => d.seen.has(id) || id <= d.safeMark)) return;
    for (const id of m.ids) if (id > d.safeMark) d.seen.add(id);
    try { Y.applyUpdate(d.ydoc, m.update, ORIGIN_REMOTE); } catch (err) { this.ctx.log.warn({ err, doc }, 'notes: bad update from the bus'); }
  }

  /** Reads log rows this node has not applied (Redis is best-effort; PostgreSQL is the truth). */
  private async catchUp(d: NoteDoc): Promise<void> {
    if (d.unloading) return;
    d.lastCatchUp = Date.now();
    const known = new Set(d.seen);
    const { rows, snapshotId } = await this.store.since(d.name.name, d.safeMark, known);
    if (d.unloading) return;
    if (snapshotId > d.snapshotSeen) {
      // Another node compacted rows we may never have seen: the snapshot holds them.
      const snap = await this.store.snapshot(d.name.name);
      if (snap && !d.unloading) { applyMissing(d.ydoc, snap.state, ORIGIN_REMOTE); d.snapshotSeen = snap.lastUpdateId; }
    }
    // Ids that left the log were compacted into the snapshot: no need to remember them.
    const present = new Set(rows.map((r) => r.id));
    for (const id of known) if (!present.has(id)) d.seen.delete(id);
    const fresh = rows.filter((r) => r.update && !d.seen.has(r.id));
    if (fresh.length && !d.unloading) {
      Y.applyUpdate(d.ydoc, fresh.length === 1 ? fresh[0].update! : Y.mergeUpdates(fresh.map((r) => r.update!)), ORIGIN_REMOTE);
      for (const r of fresh) d.seen.add(r.id);
    }
    // Move the mark past rows old enough that no smaller id can still commit.
    let mark = d.safeMark;
    for (const r of rows) if (r.old) mark = Math.max(mark, r.id);
    if (mark > d.safeMark) {
      d.safeMark = mark;
      for (const id of d.seen) if (id <= mark) d.seen.delete(id);
    }
  }

  private async compact(d: NoteDoc): Promise<void> {
    if (d.compacting) return;
    d.compacting = true;
    try {
      const n = d.sinceCompact;
      const nb = d.sinceCompactBytes;
      const r = await this.store.compact(d.tenantId, d.name.name, {
        snapshotSeen: d.snapshotSeen,
        applied: (id) => id <= d.safeMark || d.seen.has(id),
        // Bring the live doc up to everything being folded (rows or a snapshot from another node it
        // has not seen yet), then its state is the new snapshot: no scratch doc to rebuild.
        merge: (snapshot, unseen) => {
          if (snapshot && snapshot.lastUpdateId > d.snapshotSeen) { applyMissing(d.ydoc, snapshot.state, ORIGIN_REMOTE); d.snapshotSeen = snapshot.lastUpdateId; }
          if (unseen.length) {
            Y.applyUpdate(d.ydoc, Y.mergeUpdates(unseen.map((x) => x.update)), ORIGIN_REMOTE);
            for (const x of unseen) if (x.id > d.safeMark) d.seen.add(x.id);
          }
          return Y.encodeStateAsUpdate(d.ydoc);
        },
      });
      d.sinceCompact = Math.max(0, d.sinceCompact - n);
      d.sinceCompactBytes = Math.max(0, d.sinceCompactBytes - nb);
      if (r.folded) {
        // Our own snapshot holds nothing the live doc lacks: catch-up must not fetch it back.
        d.snapshotSeen = Math.max(d.snapshotSeen, r.lastUpdateId);
        d.snapshotBytes = r.bytesAfter;
        this.compactions.runs++; this.compactions.folded += r.folded;
        this.compactions.bytesBefore += r.bytesBefore; this.compactions.bytesAfter += r.bytesAfter;
      }
    } catch (err) {
      this.ctx.log.warn({ err, doc: d.name.name }, 'notes: compaction failed');
    } finally { d.compacting = false; }
  }

  private scheduleProjection(d: NoteDoc): void {
    if (d.name.kind !== 'deal') return;
    if (!d.projectDirty) d.dirtySince = Date.now();
    d.projectDirty = true;
    // Debounced, but someone typing without pause still gets a preview every few debounce periods.
    if (d.projectTimer && Date.now() - d.dirtySince >= 5 * this.opts.projectionDelayMs) return;
    if (d.projectTimer) clearTimeout(d.projectTimer);
    d.projectTimer = setTimeout(() => { d.projectTimer = null; void this.project(d); }, this.opts.projectionDelayMs);
  }

  private async project(d: NoteDoc): Promise<void> {
    if (!d.projectDirty || !d.lastEditor) return;
    d.projectDirty = false;
    try {
      await projectDealNote(this.ctx.wp, this.ctx.policy, d.lastEditor, d.name.id, d.ydoc.getText('note').toString());
    } catch (err) {
      this.ctx.log.warn({ err, doc: d.name.name }, 'notes: text projection failed');
    }
  }

  private onClose(s: Session): void {
    if (s.closed) return;
    s.closed = true;
    const d = s.doc;
    d.sessions.delete(s);
    if (s.awarenessIds.size) awarenessProtocol.removeAwarenessStates(d.awareness, [...s.awarenessIds], null);
    if (d.sessions.size === 0) void this.unload(d);
  }

  /** The last client left: store what is pending, project, compact, and free the doc. */
  private unload(d: NoteDoc): Promise<void> {
    if (d.unloading) return d.unloading;
    d.unloading = (async () => {
      while (d.flushing) await d.flushing;
      // A periodic compaction still running would otherwise finish after a delete's drop.
      while (d.compacting) await new Promise((r) => setTimeout(r, 10));
      if (d.projectTimer) { clearTimeout(d.projectTimer); d.projectTimer = null; }
      if (!d.deleted) {
        await this.project(d);
        if (d.sinceCompact > 0) await this.compact(d);
      }
      await this.bus?.unsubscribe(d.name.name);
    })().catch((err) => this.ctx.log.warn({ err, doc: d.name.name }, 'notes: unload failed'))
      .finally(() => {
        this.docs.delete(d.name.name);
        d.awareness.destroy();
        d.ydoc.destroy();
      });
    return d.unloading;
  }

  // ---- access re-checks

  private onFeed(e: CommittedEvent): void {
    let targets: Session[] = [];
    if (e.type === 'deal.updated' || e.type === 'deal.deleted') targets = this.sessionsOf(`deal:${e.entityId}`);
    else if (e.type === 'contact.updated' || e.type === 'contact.deleted' || e.type === 'share.created' || e.type === 'share.deleted') targets = this.sessionsOf(`contact:${e.entityId}`);
    else if (e.type === 'user.updated' || e.type === 'user.created') {
      for (const d of this.docs.values()) if (d.tenantId === e.tenantId) targets.push(...d.sessions);
    }
    if (e.type === 'deal.deleted' || e.type === 'contact.deleted') {
      void this.dropDeleted(`${e.type === 'deal.deleted' ? 'deal' : 'contact'}:${e.entityId}`);
      return;
    }
    for (const s of targets) void this.recheck(s);
  }

  /** The record is gone, so is its note: close its sessions, skip the final compaction, delete the rows. */
  private async dropDeleted(doc: string): Promise<void> {
    const d = this.docs.get(doc);
    if (d) {
      d.deleted = true;
      for (const s of [...d.sessions]) this.closeSession(s, CLOSE_ACCESS_LOST, 'NOT_FOUND');
      await this.unload(d);
    }
    // Every node hears this; deleting a note that is already gone is harmless.
    await this.store.drop(doc).catch((err) => this.ctx.log.warn({ err, doc }, 'notes: dropping a deleted note failed'));
  }

  private sessionsOf(doc: string): Session[] {
    const d = this.docs.get(doc);
    return d ? [...d.sessions] : [];
  }

  private async recheck(s: Session): Promise<void> {
    if (s.checking || s.closed) return;
    s.checking = true;
    s.lastCheck = Date.now();
    try {
      const viewer = await this.ctx.services.auth.authenticate(s.token);
      if (s.closed) return;
      if (!viewer) { this.closeSession(s, CLOSE_UNAUTHENTICATED, 'UNAUTHENTICATED'); return; }
      s.viewer = viewer;
      const access = await this.accessOf(viewer, s.doc.name);
      if (s.closed) return;
      if (!access) { this.closeSession(s, CLOSE_ACCESS_LOST, 'ACCESS_LOST'); return; }
      if (access !== s.access) {
        s.access = access;
        this.send(s, accessModeMessage(access === 'write' ? 'read-write' : 'read-only'));
      }
    } catch (err) {
      this.ctx.log.warn({ err }, 'notes: access re-check failed');
    } finally { s.checking = false; }
  }

  // ---- housekeeping

  private async tick(): Promise<void> {
    if (this.ticking || this.closing) return;
    this.ticking = true;
    try {
      const now = Date.now();
      for (const d of [...this.docs.values()]) {
        if (d.unloading) continue;
        // A doc nobody joined (the socket left while it loaded) is freed after a grace period.
        if (d.sessions.size === 0) { if (now - d.loadedAt > 5_000) void this.unload(d); continue; }
        for (const s of d.sessions) if (now - s.lastCheck >= this.opts.recheckMs) void this.recheck(s);
        if (now - d.lastCatchUp >= this.opts.catchUpMs) await this.catchUp(d).catch((err) => this.ctx.log.warn({ err }, 'notes: catch-up failed'));
        const due = d.sinceCompactBytes >= Math.max(this.opts.compactMinBytes, d.snapshotBytes);
        // Compacting re-encodes the whole doc (and other nodes apply the new snapshot), so while people type
        // it runs only when the log has grown as large as the snapshot; otherwise once the doc goes quiet.
        if (d.sinceCompact > 0 && (due || now - d.lastAppend >= this.opts.compactIdleMs)) await this.compact(d);
      }
    } finally { this.ticking = false; }
  }

  async close(): Promise<void> {
    this.closing = true;
    this.ctx.server.off('upgrade', this.onUpgrade);
    this.offFeed?.();
    if (this.timer) clearInterval(this.timer);
    if (this.pinger) clearInterval(this.pinger);
    for (const d of [...this.docs.values()]) for (const s of [...d.sessions]) this.closeSession(s, 1001, 'server shutting down');
    await Promise.all([...this.docs.values()].map((d) => this.unload(d)));
    await Promise.all([...this.loading.values()].map((p) => p.catch(() => {})));
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    await this.bus?.close();
  }
}
