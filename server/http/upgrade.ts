import type http from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Upgrade paths that have a handler of their own: Socket.IO (`/socket.io/`, attached with
 * `destroyUpgrade: false` so it leaves other paths alone) and the notes' y-websocket (`/yjs/`).
 * A feature that takes upgrades on another path adds its prefix here.
 */
export const UPGRADE_PREFIXES: readonly string[] = ['/socket.io/', '/yjs/'];

const STATUS_TEXT: Record<number, string> = { 404: 'Not Found', 503: 'Service Unavailable' };

/** Whether some handler has answered this socket (written the 101 or an error) or closed it. */
function answered(socket: Duplex): boolean {
  const s = socket as Duplex & { bytesWritten?: number };
  return s.destroyed || (s.bytesWritten ?? 0) > 0 || s.writableLength > 0 || s.writableEnded;
}

function refuse(socket: Duplex, status: number): void {
  const body = `${status} ${STATUS_TEXT[status]}\n`;
  socket.once('error', () => {});
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * The last-resort `upgrade` listener. Node hands an upgrade only to `upgrade` listeners (no HTTP
 * response is ever sent for it), and each of ours ignores paths outside its prefix, so an upgrade to
 * any other path used to hang forever with no byte sent. Here:
 *  - a path outside UPGRADE_PREFIXES (or any path when no other listener exists) gets 404 and is
 *    closed, once the other listeners have had their turn (setImmediate) and only if none answered it;
 *  - a path inside them that nobody has answered within `graceMs` (its feature is not running on this
 *    node, or it stalled) gets 503 and is closed.
 */
export function answerUnclaimedUpgrades(server: http.Server, opts: { prefixes?: readonly string[]; graceMs?: number } = {}): () => void {
  const prefixes = opts.prefixes ?? UPGRADE_PREFIXES;
  const graceMs = opts.graceMs ?? 5_000;
  const onUpgrade = (req: http.IncomingMessage, socket: Duplex): void => {
    const path = (req.url ?? '/').split('?')[0]!;
    const others = server.listenerCount('upgrade') > 1;
    if (!others || !prefixes.some((p) => path.startsWith(p))) {
      setImmediate(() => {
        if (!answered(socket)) refuse(socket, 404);
      });
      return;
    }
    const timer = setTimeout(() => {
      if (!answered(socket)) refuse(socket, 503);
    }, graceMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  };
  server.on('upgrade', onUpgrade);
  return () => {
    server.off('upgrade', onUpgrade);
  };
}
