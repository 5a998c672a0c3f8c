import { io, type Socket } from 'socket.io-client';
import type { EventEnvelope } from '../../../shared/events';
import { session } from './api';

export type ConnState = 'idle' | 'connecting' | 'live' | 'reconnecting';
export interface PresenceUser {
  id: string;
  name: string;
}
type Handler = (env: EventEnvelope<any>) => void;

const seqKey = (userId: string) => `pulse.lastSeq.${userId}`;

/**
 * The live-events store: one Socket.IO connection per signed-in tab. It remembers the last applied
 * seq (memory + sessionStorage) and hands it to the server on every (re)connect, so missed events are
 * replayed in order; when the server says the gap is too old (`resync.required`) every page refetches.
 * Events at or below the last applied seq are dropped, which makes replays idempotent.
 */
export class LiveEvents {
  state = $state<ConnState>('idle');
  presence = $state<Record<string, PresenceUser[]>>({});
  lastSeq: number | null = null;
  private socket: Socket | null = null;
  private userId: string | null = null;
  private handlers = new Map<string, Set<Handler>>();
  private resyncHandlers = new Set<() => void>();
  private rooms = new Map<string, number>();
  private everSynced = false;
  onUnauthenticated: () => void = () => {};

  start(userId: string) {
    this.stop();
    this.userId = userId;
    const stored = sessionStorage.getItem(seqKey(userId));
    this.lastSeq = stored !== null && /^\d+$/.test(stored) ? Number(stored) : null;
    this.everSynced = false;
    this.state = 'connecting';
    const socket = io({
      // A function, so every reconnect sends the seq we are current with at that moment.
      auth: (cb) => cb({ token: session.token ?? undefined, lastSeq: this.lastSeq ?? undefined }),
      transports: ['websocket'],
      reconnectionDelay: 300,
      reconnectionDelayMax: 3000,
    });
    this.socket = socket;
    socket.on('connect', () => {
      this.state = 'connecting';
      for (const room of this.rooms.keys()) this.emitJoin(room);
    });
    socket.on('disconnect', (reason) => {
      if (this.socket !== socket) return;
      this.state = 'reconnecting';
      // The server closed us on purpose (e.g. a deploy); socket.io does not retry that by itself.
      if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 500);
    });
    socket.on('connect_error', (err) => {
      if (this.socket !== socket) return;
      // The server refuses with { error: { code: 'UNAUTHENTICATED' } } in err.data (the contract also allows it as the message).
      const code = (err as Error & { data?: { error?: { code?: string } } }).data?.error?.code;
      if (code === 'UNAUTHENTICATED' || err.message === 'UNAUTHENTICATED') {
        this.stop();
        this.onUnauthenticated();
        return;
      }
      this.state = 'reconnecting';
    });
    socket.onAny((type: string, payload: any) => this.receive(type, payload));
  }

  stop() {
    const s = this.socket;
    this.socket = null;
    s?.removeAllListeners();
    s?.disconnect();
    this.state = 'idle';
    this.presence = {};
  }

  /** Drops the connection as if the network went away (used by the "simulate offline" control and tests). */
  dropConnection() {
    this.socket?.io.engine?.close();
  }

  private saveSeq(seq: number) {
    this.lastSeq = seq;
    if (this.userId)
      try {
        sessionStorage.setItem(seqKey(this.userId), String(seq));
      } catch {
        /* storage full */
      }
  }

  receive(type: string, payload: any) {
    // The contract calls the "you are current" marker replay.done; the server names it session.ready. Both carry { seq }.
    if (type === 'replay.done' || type === 'session.ready') {
      const seq = Number(payload?.seq);
      const firstSync = !this.everSynced;
      const hadSeq = this.lastSeq !== null;
      if (Number.isFinite(seq) && (this.lastSeq === null || seq > this.lastSeq)) this.saveSeq(seq);
      this.everSynced = true;
      this.state = 'live';
      // Pages loaded over REST before we knew our starting seq may have missed what happened in between.
      if (firstSync && !hadSeq) this.fireResync();
      return;
    }
    if (type === 'resync.required') {
      const seq = Number(payload?.seq);
      if (Number.isFinite(seq)) this.saveSeq(seq);
      this.everSynced = true;
      this.state = 'live';
      this.fireResync();
      return;
    }
    if (type === 'presence.state') {
      const room = payload ? (typeof payload.room === 'string' ? payload.room : `${payload.entityType}:${payload.entityId}`) : '';
      if (this.rooms.has(room)) this.presence[room] = Array.isArray(payload.users) ? payload.users : [];
      return;
    }
    if (type === 'session.expired') {
      this.stop();
      this.onUnauthenticated();
      return;
    }
    const env = payload as EventEnvelope;
    if (!env || typeof env.seq !== 'number') return;
    if (this.lastSeq !== null && env.seq <= this.lastSeq) return;
    this.saveSeq(env.seq);
    for (const h of this.handlers.get(type) ?? []) h(env);
    for (const h of this.handlers.get('*') ?? []) h(env);
  }

  /** Subscribe to one or more event types ('*' for all); returns the unsubscribe function. */
  on(types: string | string[], h: Handler): () => void {
    const list = Array.isArray(types) ? types : [types];
    for (const t of list) {
      if (!this.handlers.has(t)) this.handlers.set(t, new Set());
      this.handlers.get(t)!.add(h);
    }
    return () => {
      for (const t of list) this.handlers.get(t)?.delete(h);
    };
  }

  /** Called when the client can no longer trust its data and must refetch it. */
  onResync(h: () => void): () => void {
    this.resyncHandlers.add(h);
    return () => this.resyncHandlers.delete(h);
  }
  private fireResync() {
    for (const h of this.resyncHandlers) h();
  }

  /** Rooms are named `<entityType>:<id>` (deal, contact, company, pipeline); the server takes them as a target. */
  private target(room: string) {
    const i = room.indexOf(':');
    return { entityType: room.slice(0, i), entityId: room.slice(i + 1) };
  }

  private emitJoin(room: string) {
    this.socket?.emit('presence.join', this.target(room), (ack: any) => {
      if (ack?.state && this.rooms.has(room)) this.presence[room] = ack.state.users ?? [];
    });
  }

  /** Join a presence room (pipeline:<id>, deal:<id>, contact:<id>); returns the leave function. Rooms are re-joined after reconnects. */
  join(room: string): () => void {
    const n = this.rooms.get(room) ?? 0;
    this.rooms.set(room, n + 1);
    if (n === 0 && this.socket?.connected) this.emitJoin(room);
    return () => {
      const m = (this.rooms.get(room) ?? 1) - 1;
      if (m > 0) {
        this.rooms.set(room, m);
        return;
      }
      this.rooms.delete(room);
      delete this.presence[room];
      this.socket?.emit('presence.leave', this.target(room), () => {});
    };
  }
}

export const live = new LiveEvents();
