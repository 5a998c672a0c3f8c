import { Server, type Socket } from 'socket.io';
import { z } from 'zod';
import type { PulseContext } from '../extension.js';
import type { Viewer } from '../auth/viewer.js';
import { sameOrigin, sessionCookieToken } from '../auth/session-cookie.js';
import { AppError, errorBody, validationFailed, zodDetails } from '../http/errors.js';
import { LiveMessages, ResyncRequired, type LiveReady, type LiveResync } from '../../shared/events.js';
import type { Sequencer } from './sequencer.js';
import type { Bus } from './bus.js';
import { LiveSocket, envelope } from './live-socket.js';
import { eventsForUser, hasSeq, tenantSeq } from './outbox-queries.js';

export interface SocketOptions {
  /** Replays longer than this many events answer resync.required instead: reloading is cheaper. */
  maxReplay: number;
  /** Replays spanning more of the tenant's events than this are refused too: the scan would be the cost. */
  maxReplaySpan: number;
  /** How often connected sessions are re-checked, so logout and expiry end live streams too. */
  recheckMs: number;
  /** Live sockets one user may hold on this node (tabs, devices); more are refused with 429. */
  maxSocketsPerUser: number;
  /** Socket.IO's Redis adapter, so room broadcasts (presence) reach every node; absent on a single node. */
  adapter?: ReturnType<Bus['socketAdapter']>;
}

export type Ack = (res: unknown) => void;
export type SocketHandler = (ls: LiveSocket) => void;

const Since = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const ReplayInput = z.object({ since: Since }).strict();

export const rateLimited = () => new AppError(429, 'RATE_LIMITED', 'Too many socket requests; slow down');

/** The error answer every socket request gets for bad input: the REST error body. */
export function answerError(ack: Ack | undefined, ls: LiveSocket, err: unknown): void {
  const e =
    err instanceof AppError
      ? err
      : err instanceof z.ZodError
        ? validationFailed(zodDetails(err))
        : new AppError(500, 'INTERNAL', 'Internal server error');
  const body = { ...errorBody(e), status: e.status };
  if (ack) ack(body);
  else ls.socket.emit(LiveMessages.error, body);
}

/** Socket.IO puts the ack callback last; anything else there is not one. */
export function splitArgs(args: unknown[]): { input: unknown; ack: Ack | undefined } {
  const last = args[args.length - 1];
  const ack = typeof last === 'function' ? (last as Ack) : undefined;
  return { input: args[0], ack };
}

export class LiveSockets {
  readonly io: Server;
  private byUser = new Map<string, Set<LiveSocket>>();
  private handlers: SocketHandler[] = [];
  private recheck: NodeJS.Timeout;

  constructor(
    private ctx: PulseContext,
    private seq: Sequencer,
    private opts: SocketOptions,
  ) {
    this.io = new Server(ctx.server, {
      path: '/socket.io/',
      serveClient: false,
      // Other upgrade paths (the notes' y-websocket) belong to other handlers: leave them alone.
      destroyUpgrade: false,
      maxHttpBufferSize: 64 * 1024,
    });
    if (opts.adapter) this.io.adapter(opts.adapter);
    this.io.use((socket, next) => {
      this.authenticate(socket).then(
        () => next(),
        (err) => next(err),
      );
    });
    this.io.on('connection', (socket) => {
      void this.connected(socket);
    });
    ctx.feed.on((e) => {
      const ids: string[] = [];
      for (const uid of e.audience) for (const ls of this.byUser.get(uid) ?? []) if (ls.take(e)) ids.push(ls.socket.id);
      // One broadcast encodes the packet once for all of them (every socket is in a room of its own id).
      if (ids.length) this.io.local.to(ids).emit(e.type, envelope(e));
    });
    this.recheck = setInterval(() => {
      void this.recheckSessions();
    }, opts.recheckMs);
    this.recheck.unref();
  }

  /** Per-socket message handlers of other live features (presence). */
  onSocket(h: SocketHandler) {
    this.handlers.push(h);
  }

  count(): number {
    let n = 0;
    for (const s of this.byUser.values()) n += s.size;
    return n;
  }

  private async authenticate(socket: Socket): Promise<void> {
    const auth = (socket.handshake.auth ?? {}) as Record<string, unknown>;
    let token = typeof auth.token === 'string' ? auth.token : null;
    if (!token) {
      token = sessionCookieToken(socket.request.headers.cookie);
      if (token && !sameOrigin(socket.request)) throw socketError(403, 'FORBIDDEN', 'Cross-origin socket with a session cookie');
    }
    const viewer = await this.ctx.services.auth.authenticate(token);
    if (!viewer) throw socketError(401, 'UNAUTHENTICATED', 'Sign in first');
    // Every socket costs memory and a share of each fan-out: one account (or a stolen token) opening
    // thousands must not starve the node. The cap is per node and checked at the handshake.
    if ((this.byUser.get(viewer.id)?.size ?? 0) >= this.opts.maxSocketsPerUser) {
      throw socketError(429, 'TOO_MANY_SOCKETS', `At most ${this.opts.maxSocketsPerUser} live connections per user on a node`);
    }
    if (auth.lastSeq !== undefined && auth.lastSeq !== null && !Since.safeParse(auth.lastSeq).success) {
      throw socketError(400, 'VALIDATION_FAILED', 'lastSeq must be a non-negative integer');
    }
    socket.data.viewer = viewer;
    socket.data.token = token;
  }

  private async connected(socket: Socket): Promise<void> {
    const viewer = socket.data.viewer as Viewer;
    const ls = new LiveSocket(socket, viewer, socket.data.token as string);
    this.add(ls);
    socket.on('disconnect', () => this.remove(ls));
    socket.on(LiveMessages.replay, (...args: unknown[]) => {
      const { input, ack } = splitArgs(args);
      if (!ls.allow()) return answerError(ack, ls, rateLimited());
      const p = ReplayInput.safeParse(input);
      if (!p.success) return answerError(ack, ls, validationFailed(zodDetails(p.error)));
      this.replay(ls, p.data.since).then(
        (r) => ack?.({ ok: true, ...r }),
        (err) => answerError(ack, ls, err),
      );
    });
    for (const h of this.handlers) h(ls);
    try {
      const lastSeq = socket.handshake.auth?.lastSeq;
      const start =
        typeof lastSeq === 'number'
          ? await this.replay(ls, lastSeq)
          : await ls.withLiveHeld(async () => {
              ls.sentSeq = await this.seq.positionOf(viewer.tenantId);
              return { seq: ls.sentSeq };
            });
      socket.emit(LiveMessages.ready, {
        userId: viewer.id,
        tenantId: viewer.tenantId,
        seq: start.seq,
        node: this.ctx.config.nodeId,
      } satisfies LiveReady);
    } catch (err) {
      this.ctx.log.warn({ err }, 'live socket start failed');
      socket.disconnect(true);
    }
  }

  /**
   * Sends the viewer's events after `since` from the outbox, or resync.required when they are gone
   * (past retention), too many, or from the future (a different database, a forged number).
   */
  async replay(ls: LiveSocket, since: number): Promise<{ seq: number; replayed: number; resync?: LiveResync['reason'] }> {
    const v = ls.viewer;
    return ls.withLiveHeld(async () => {
      const pos = await this.seq.positionOf(v.tenantId);
      const em = this.ctx.wp.read();
      const latest = (await tenantSeq(em, v.tenantId)) ?? 0;
      let reason: LiveResync['reason'] | null = null;
      let events: Awaited<ReturnType<typeof eventsForUser>> = [];
      if (since > latest) reason = 'unknown_seq';
      else if (since < latest && !(await hasSeq(em, v.tenantId, since + 1))) reason = 'expired';
      else if (latest - since > this.opts.maxReplaySpan) reason = 'too_far_behind';
      else {
        events = await eventsForUser(em, v.tenantId, v.id, since, this.opts.maxReplay + 1);
        if (events.length > this.opts.maxReplay) reason = 'too_far_behind';
      }
      if (reason) {
        ls.sentSeq = Math.max(ls.sentSeq, pos);
        ls.socket.emit(ResyncRequired, { reason, seq: ls.sentSeq } satisfies LiveResync);
        return { seq: ls.sentSeq, replayed: 0, resync: reason };
      }
      ls.sendHistory(events);
      ls.sentSeq = Math.max(ls.sentSeq, since, pos, events.length ? events[events.length - 1].seq : 0);
      return { seq: ls.sentSeq, replayed: events.length };
    });
  }

  private add(ls: LiveSocket) {
    const set = this.byUser.get(ls.viewer.id) ?? new Set();
    set.add(ls);
    this.byUser.set(ls.viewer.id, set);
  }

  private remove(ls: LiveSocket) {
    const set = this.byUser.get(ls.viewer.id);
    set?.delete(ls);
    if (set && set.size === 0) this.byUser.delete(ls.viewer.id);
  }

  async recheckSessions(): Promise<void> {
    // One look-up per session, however many tabs share it.
    const byToken = new Map<string, LiveSocket[]>();
    for (const set of this.byUser.values()) for (const ls of set) (byToken.get(ls.token) ?? byToken.set(ls.token, []).get(ls.token)!).push(ls);
    for (const [token, list] of byToken) {
      try {
        const v = await this.ctx.services.auth.authenticate(token);
        for (const ls of list) {
          if (!v) {
            ls.socket.emit(LiveMessages.expired, {});
            ls.socket.disconnect(true);
          } else ls.viewer = v;
        }
      } catch {
        /* the database is away: keep the session until it answers */
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.recheck);
    this.io.disconnectSockets(true);
    // io.close() would also close the shared HTTP server; the app closes that itself.
    this.io.engine.close();
  }
}

/** The connect_error a client sees: the code as its message (what clients switch on), the REST error body as its data. */
function socketError(status: number, code: string, message: string): Error & { data: unknown } {
  const e = new Error(code) as Error & { data: unknown };
  e.data = { ...errorBody(new AppError(status, code, message)), status };
  return e;
}
