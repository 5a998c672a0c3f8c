import { io, type Socket } from 'socket.io-client';
import type { EventEnvelope, LiveReady } from '../../shared/events.js';

/** A real Socket.IO client that records what it receives, for the live-event tests. */
export class LiveClient {
  events: EventEnvelope<any>[] = [];
  other: { name: string; body: any }[] = [];
  ready: LiveReady | null = null;
  private waiters: (() => void)[] = [];

  constructor(readonly socket: Socket) {
    socket.onAny((name: string, body: any) => {
      if (name === 'session.ready') this.ready = body;
      else if (body && typeof body.seq === 'number' && typeof body.type === 'string' && name === body.type) this.events.push(body);
      else this.other.push({ name, body });
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Resolves once `pred` holds for what has arrived (the test timeout is the only limit). */
  until<T>(pred: (c: LiveClient) => T | undefined | false | null): Promise<T> {
    return new Promise((resolve) => {
      const check = () => {
        const r = pred(this);
        if (r) resolve(r);
        else this.waiters.push(check);
      };
      check();
    });
  }

  untilEvent(f: (e: EventEnvelope<any>) => boolean) {
    return this.until((c) => c.events.find(f));
  }
  untilMessage(name: string) {
    return this.until((c) => c.other.find((m) => m.name === name));
  }
  get seqs() {
    return this.events.map((e) => e.seq);
  }

  request<T = any>(name: string, body: unknown): Promise<T> {
    return this.socket.timeout(30_000).emitWithAck(name, body);
  }

  close() {
    this.socket.disconnect();
  }
}

/** Connects over WebSocket and waits for session.ready, or rejects with the connect error's data. */
export async function connect(url: string, auth: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<LiveClient> {
  const socket = io(url, { transports: ['websocket'], auth, reconnection: false, forceNew: true, ...extra });
  const c = new LiveClient(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect_error', (err: any) => reject(Object.assign(new Error(err.message), { data: err.data })));
    c.until((x) => x.ready).then(() => resolve());
  });
  return c;
}
