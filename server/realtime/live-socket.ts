import type { Socket } from 'socket.io';
import type { Viewer } from '../auth/viewer.js';
import type { CommittedEvent } from '../events/outbox.js';
import type { EventEnvelope } from '../../shared/events.js';

const BURST = 40;
const PER_SECOND = 5;

export const envelope = (e: CommittedEvent): EventEnvelope => {
  const env: EventEnvelope = { seq: e.seq, type: e.type, kind: e.kind, at: e.at, data: e.data, actor: e.actor };
  if (e.changed) {
    env.changed = e.changed;
    env.before = e.before ?? {};
  }
  return env;
};

/**
 * One connected client. Its stream is ordered by seq and never repeats one: while a replay reads the
 * outbox, live events are held back and then sent only if the replay did not already cover them.
 */
export class LiveSocket {
  sentSeq = 0;
  private replaying = 0;
  private held: CommittedEvent[] = [];

  private tokens = BURST;
  private refilledAt = Date.now();

  constructor(
    readonly socket: Socket,
    public viewer: Viewer,
    readonly token: string,
  ) {}

  /** A token bucket for requests that cost a database or Redis round trip (replay, presence). */
  allow(): boolean {
    const now = Date.now();
    this.tokens = Math.min(BURST, this.tokens + ((now - this.refilledAt) / 1000) * PER_SECOND);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  deliver(e: CommittedEvent): void {
    if (this.take(e)) this.socket.emit(e.type, envelope(e));
  }

  /**
   * Whether `e` should go out to this socket now (and counts it as sent); a held-back event is kept
   * for later. Callers that say yes must send it right away, before the next event.
   */
  take(e: CommittedEvent): boolean {
    if (e.tenantId !== this.viewer.tenantId) return false;
    if (this.replaying) {
      this.held.push(e);
      return false;
    }
    if (e.seq <= this.sentSeq) return false;
    this.sentSeq = e.seq;
    return true;
  }

  /** Runs `fn` (which sends history and returns the seq it covered up to) with live delivery held back. */
  async withLiveHeld<T>(fn: () => Promise<T>): Promise<T> {
    this.replaying++;
    try {
      return await fn();
    } finally {
      if (--this.replaying === 0) {
        const held = this.held;
        this.held = [];
        for (const e of held) this.deliver(e);
      }
    }
  }

  /** Sends replayed history directly, bypassing the duplicate check (the client asked for it again). */
  sendHistory(events: CommittedEvent[]): void {
    for (const e of events) this.socket.emit(e.type, envelope(e));
  }
}
