import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Server } from 'socket.io';
import type { PulseContext } from '../extension.js';
import { AppError, notFound, validationFailed, zodDetails } from '../http/errors.js';
import { PresenceEvents, type AccessLost, type PresenceState, type PresenceTarget } from '../../shared/events.js';
import type { Bus } from './bus.js';
import type { Keys } from '../redis/keys.js';
import type { CommittedEvent } from '../events/outbox.js';
import { loadPipeline } from '../pipelines/pipeline.repository.js';
import type { LiveSocket } from './live-socket.js';
import { answerError, rateLimited, splitArgs, type LiveSockets } from './sockets.js';

/** Who is looking at a record right now, across nodes. Entries expire unless their node keeps refreshing them. */
interface Entry {
  userId: string;
  name: string;
  exp: number;
}

interface PresenceStore {
  put(key: string, member: string, e: Entry): Promise<void>;
  remove(key: string, member: string): Promise<void>;
  /** Live entries; expired ones (a node died) are dropped, and reported so the change can be announced. */
  list(key: string): Promise<{ live: Entry[]; pruned: boolean }>;
}

class MemoryStore implements PresenceStore {
  private m = new Map<string, Map<string, Entry>>();
  async put(key: string, member: string, e: Entry) {
    (this.m.get(key) ?? this.m.set(key, new Map()).get(key)!).set(member, e);
  }
  async remove(key: string, member: string) {
    this.m.get(key)?.delete(member);
    if (this.m.get(key)?.size === 0) this.m.delete(key);
  }
  async list(key: string) {
    const now = Date.now();
    const live = [...(this.m.get(key)?.values() ?? [])].filter((e) => e.exp > now);
    return { live, pruned: false };
  }
}

class RedisStore implements PresenceStore {
  constructor(
    private r: Redis,
    private ttlMs: number,
  ) {}
  async put(key: string, member: string, e: Entry) {
    await this.r
      .multi()
      .hset(key, member, JSON.stringify(e))
      .pexpire(key, this.ttlMs * 2)
      .exec();
  }
  async remove(key: string, member: string) {
    await this.r.hdel(key, member);
  }
  async list(key: string) {
    const all = await this.r.hgetall(key);
    const now = Date.now();
    const live: Entry[] = [];
    const dead: string[] = [];
    for (const [member, raw] of Object.entries(all)) {
      try {
        const e = JSON.parse(raw) as Entry;
        if (e.exp > now) live.push(e);
        else dead.push(member);
      } catch {
        dead.push(member);
      }
    }
    if (dead.length) await this.r.hdel(key, ...dead);
    return { live, pruned: dead.length > 0 };
  }
}

// 'pipeline' is the board: every user of the tenant sees a pipeline's stages (its deals stay filtered by visibility).
const Target = z.object({ entityType: z.enum(['deal', 'contact', 'company', 'pipeline']), entityId: z.uuid() }).strict();
const MAX_WATCHED = 20;

/** Keys end in `<entityType>:<entityId>` (the prefix may hold colons of its own). */
function targetOfKey(key: string): PresenceTarget | null {
  const parts = key.split(':');
  const p = Target.safeParse({ entityType: parts[parts.length - 2], entityId: parts[parts.length - 1] });
  return p.success ? p.data : null;
}

export class Presence {
  private store: PresenceStore;
  /** Records whose presence changed while the shared store was unreachable: announced once it is back. */
  private unsynced = new Set<string>();
  /** Records each local socket watches: socket id → key → target. */
  private watching = new Map<string, Map<string, PresenceTarget>>();
  private sockets = new Map<string, LiveSocket>();
  private timer: NodeJS.Timeout;

  constructor(
    private ctx: PulseContext,
    private io: Server,
    private bus: Bus,
    private keys: Keys,
    private ttlMs: number,
  ) {
    this.store = bus.redis ? new RedisStore(bus.redis, ttlMs) : new MemoryStore();
    ctx.feed.on((e) => this.onDomainEvent(e));
    this.timer = setInterval(
      () => {
        void this.heartbeat();
      },
      Math.max(200, Math.floor(ttlMs / 3)),
    );
    this.timer.unref();
  }

  /**
   * Someone who can no longer see a record must not keep watching who is on it. A deletion names its
   * audience; an `access.lost` notice names exactly the users who lost sight (reassignment, unshare), or,
   * for a manager change (`owner`), users whose every watched record must be checked again.
   */
  private onDomainEvent(e: CommittedEvent) {
    let entityType: PresenceTarget['entityType'] | null = null;
    let entityId = e.entityId;
    if (e.type === 'deal.deleted' || e.type === 'contact.deleted' || e.type === 'company.deleted')
      entityType = e.entityType as PresenceTarget['entityType'];
    else if (e.type === 'access.lost') {
      const d = e.data as AccessLost;
      if (d.entityType === 'owner') {
        void this.recheck(e.tenantId, new Set(e.audience));
        return;
      }
      entityType = d.entityType;
      entityId = d.entityId;
    }
    if (!entityType) return;
    const k = this.key(e.tenantId, { entityType, entityId });
    const who = new Set(e.audience);
    for (const ls of this.sockets.values()) {
      if (ls.viewer.tenantId !== e.tenantId || !who.has(ls.viewer.id) || !this.watching.get(ls.socket.id)?.has(k)) continue;
      this.dropWatch(ls, k, { entityType, entityId });
    }
  }

  private dropWatch(ls: LiveSocket, k: string, t: PresenceTarget) {
    void this.leave(ls, k).then(() => ls.socket.emit(PresenceEvents.state, { ...t, users: [] } satisfies PresenceState));
  }

  /** Re-asks the policy about every record these users watch on this node, and drops what they no longer see. */
  private async recheck(tenantId: string, users: Set<string>) {
    for (const ls of this.sockets.values()) {
      if (ls.viewer.tenantId !== tenantId || !users.has(ls.viewer.id)) continue;
      for (const [k, t] of [...(this.watching.get(ls.socket.id) ?? new Map<string, PresenceTarget>())]) {
        if (t.entityType === 'pipeline') continue;
        const access = await this.ctx.policy
          .access(this.ctx.wp.read(), ls.viewer, { type: t.entityType, id: t.entityId })
          .catch(() => 'read' as const);
        if (!access) this.dropWatch(ls, k, t);
      }
    }
  }

  attach(live: LiveSockets) {
    live.onSocket((ls) => this.onSocket(ls));
  }

  private key(tenantId: string, t: PresenceTarget) {
    return this.keys.ns('presence', tenantId, t.entityType, t.entityId);
  }

  private onSocket(ls: LiveSocket) {
    const id = ls.socket.id;
    this.sockets.set(id, ls);
    ls.socket.on(PresenceEvents.join, (...args: unknown[]) => {
      const { input, ack } = splitArgs(args);
      if (!ls.allow()) return answerError(ack, ls, rateLimited());
      this.join(ls, input).then(
        (state) => ack?.({ ok: true, state }),
        (err) => answerError(ack, ls, err),
      );
    });
    ls.socket.on(PresenceEvents.leave, (...args: unknown[]) => {
      const { input, ack } = splitArgs(args);
      if (!ls.allow()) return answerError(ack, ls, rateLimited());
      const p = Target.safeParse(input);
      if (!p.success) return answerError(ack, ls, validationFailed(zodDetails(p.error)));
      this.leave(ls, this.key(ls.viewer.tenantId, p.data)).then(
        () => ack?.({ ok: true }),
        (err) => answerError(ack, ls, err),
      );
    });
    ls.socket.on('disconnect', () => {
      const keys = [...(this.watching.get(id)?.keys() ?? [])];
      this.watching.delete(id);
      this.sockets.delete(id);
      for (const k of keys)
        void this.store.remove(k, id).then(
          () => this.signal(k),
          () => {},
        );
    });
  }

  private async join(ls: LiveSocket, input: unknown): Promise<PresenceState> {
    const p = Target.safeParse(input);
    if (!p.success) throw validationFailed(zodDetails(p.error));
    const t = p.data;
    const em = this.ctx.wp.read();
    const v = ls.viewer;
    const access =
      t.entityType === 'deal'
        ? await this.ctx.policy.dealAccess(em, v, t.entityId)
        : t.entityType === 'contact'
          ? await this.ctx.policy.contactAccess(em, v, t.entityId)
          : t.entityType === 'pipeline'
            ? (await loadPipeline(em, v.tenantId, t.entityId))
              ? 'read'
              : null
            : await this.ctx.policy.companyAccess(em, v, t.entityId);
    if (!access)
      throw notFound(
        t.entityType === 'deal' ? 'Deal' : t.entityType === 'contact' ? 'Contact' : t.entityType === 'pipeline' ? 'Pipeline' : 'Company',
      );
    const mine = this.watching.get(ls.socket.id) ?? new Map<string, PresenceTarget>();
    const k = this.key(v.tenantId, t);
    if (!mine.has(k) && mine.size >= MAX_WATCHED)
      throw new AppError(429, 'TOO_MANY_WATCHED', `A socket can be present on at most ${MAX_WATCHED} records`);
    // With Redis away the watch is still taken: this node's own watchers are shown meanwhile, and the
    // heartbeat writes the entry (and announces it to every node) once Redis is back.
    await this.store.put(k, ls.socket.id, { userId: v.id, name: v.name, exp: Date.now() + this.ttlMs }).catch(() => {
      this.unsynced.add(k);
    });
    if (!ls.socket.connected) {
      // It left while we were checking: its disconnect cleanup has already run.
      await this.store.remove(k, ls.socket.id).catch(() => {});
      throw new AppError(409, 'DISCONNECTED', 'The socket disconnected');
    }
    mine.set(k, t);
    this.watching.set(ls.socket.id, mine);
    await ls.socket.join(k);
    return this.state(t, await this.signal(k));
  }

  private localEntries(k: string): Entry[] {
    const out: Entry[] = [];
    for (const [sid, m] of this.watching) {
      const ls = this.sockets.get(sid);
      if (ls && m.has(k)) out.push({ userId: ls.viewer.id, name: ls.viewer.name, exp: Number.MAX_SAFE_INTEGER });
    }
    return out;
  }

  private async leave(ls: LiveSocket, k: string): Promise<void> {
    if (!this.watching.get(ls.socket.id)?.delete(k)) return;
    await ls.socket.leave(k);
    try {
      await this.store.remove(k, ls.socket.id);
    } catch {
      /* it expires by itself */
    }
    await this.signal(k);
  }

  /**
   * Sends the record's current presence to everyone watching it on every node: through the Socket.IO
   * Redis adapter while the bus is up, to this node's watchers alone while it is away. Returns who it announced.
   */
  private async signal(key: string): Promise<Entry[]> {
    const target = targetOfKey(key);
    if (!target) return [];
    let live: Entry[];
    try {
      live = (await this.store.list(key)).live;
    } catch {
      // The store is away: tell this node's watchers what it knows; the heartbeat repairs the rest.
      this.unsynced.add(key);
      live = this.localEntries(key);
      this.io.local.to(key).emit(PresenceEvents.state, this.state(target, live));
      return live;
    }
    const state = this.state(target, live);
    if (this.bus.kind === 'redis' && this.bus.healthy()) this.io.to(key).emit(PresenceEvents.state, state);
    else this.io.local.to(key).emit(PresenceEvents.state, state);
    return live;
  }

  private state(t: PresenceTarget, live: Entry[]): PresenceState {
    const users = new Map<string, string>();
    for (const e of live) users.set(e.userId, e.name);
    return { ...t, users: [...users].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)) };
  }

  /** Keeps this node's entries alive and announces entries whose node stopped refreshing them. */
  private async heartbeat() {
    const exp = Date.now() + this.ttlMs;
    const keys = new Set<string>();
    for (const [sid, m] of this.watching) {
      const ls = this.sockets.get(sid);
      if (!ls) continue;
      for (const k of m.keys()) {
        keys.add(k);
        await this.store.put(k, sid, { userId: ls.viewer.id, name: ls.viewer.name, exp }).catch(() => {});
      }
    }
    for (const k of keys) {
      try {
        const { pruned } = await this.store.list(k);
        // Announce what changed while the store was away (joins it missed, or entries that expired).
        if (pruned || this.unsynced.delete(k)) await this.signal(k);
      } catch {
        /* retried next beat */
      }
    }
    for (const k of [...this.unsynced])
      if (!keys.has(k)) {
        this.unsynced.delete(k);
        await this.signal(k);
      }
  }

  close() {
    clearInterval(this.timer);
  }
}
