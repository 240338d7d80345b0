// What every dialect's relay does the same way: a statement's summary from what it tracked, and
// writes towards the client that pause the server while the client cannot keep up.
import type { Duplex } from 'node:stream';
import type { ResultSummary } from '../plugin.js';

/** What a relay measures of a statement on its way (times from performance.now()). */
export interface StatementProgress {
  readonly startedAt: number;
  /** When it was written upstream; absent when it never went there. */
  readonly sentAt?: number | undefined;
  readonly firstByteAt?: number | undefined;
  readonly rows: number;
  readonly affected?: number | undefined;
  readonly bytes: number;
  readonly error?: ResultSummary['error'] | undefined;
  readonly decision: ResultSummary['decision'];
}

export function resultSummary(progress: StatementProgress, now: number): ResultSummary {
  const { sentAt } = progress;
  return {
    rows: progress.rows,
    ...(progress.affected === undefined ? {} : { affected: progress.affected }),
    bytes: progress.bytes,
    durationMs: now - progress.startedAt,
    ...(sentAt === undefined ? {} : { upstream: { firstByteMs: (progress.firstByteAt ?? now) - sentAt, lastByteMs: now - sentAt } }),
    ...(progress.error === undefined ? {} : { error: progress.error }),
    decision: progress.decision,
  };
}

/** Writes to the client; when its buffer is full, stops reading from the server until it drains. */
export function writeWithBackpressure(client: Duplex, server: Duplex, bytes: Buffer): void {
  if (!client.write(bytes) && !server.isPaused()) {
    server.pause();
    client.once('drain', () => server.resume());
  }
}

/** Resolves once everything written to `socket` has been handed to the kernel, or it closed. */
export async function writesFlushed(socket: Duplex): Promise<void> {
  if (socket.writableLength === 0) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.once('drain', done);
    socket.once('close', done);
  });
}
