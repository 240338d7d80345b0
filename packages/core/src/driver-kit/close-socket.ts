// Closing one side of a session: a graceful end, a hard stop if the peer does not finish in time.
import type { Duplex } from 'node:stream';

/** Resolves once `socket` has closed. */
export function socketClosed(socket: Duplex): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

/** Ends `socket` (destroying it if it has not closed within `graceMs`) and resolves once it has closed. */
export function closeSocket(socket: Duplex, graceMs = 1_000): Promise<void> {
  const closed = socketClosed(socket);
  if (!socket.destroyed) {
    socket.end();
    setTimeout(() => socket.destroy(), graceMs).unref();
  }
  return closed;
}
