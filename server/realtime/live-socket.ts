import type { Socket } from 'socket.io';
import type { Viewer } from '../auth/viewer.js';
import type { CommittedEvent } from '../events/outbox.js';
import type { EventEnvelope } from '../../shared/events.js';

export const envelope = (e: CommittedEvent): EventEnvelope => ({ seq: e.seq, type: e.type, at: e.at, data: e.data });

/**
 * One connected client. Its stream is ordered by seq and never repeats one: while a replay reads the
 * outbox, live events are held back and then sent only if the replay did not already cover them.
 */
export class LiveSocket {
  sentSeq = 0;
  private replaying = 0;
  private held: CommittedEvent[] = [];

  constructor(readonly socket: Socket, public viewer: Viewer, readonly token: string) {}

  deliver(e: CommittedEvent): void {
    if (e.tenantId !== this.viewer.tenantId) return;
    if (this.replaying) { this.held.push(e); return; }
    if (e.seq <= this.sentSeq) return;
    this.sentSeq = e.seq;
    this.socket.emit(e.type, envelope(e));
  }

  /** Runs `fn` (which sends history and returns the seq it covered up to) with live delivery held back. */
  async withLiveHeld<T>(fn: () => Promise<T>): Promise<T> {
    this.replaying++;
    try { return await fn(); }
    finally {
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
