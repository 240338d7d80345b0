// Awaitable reads from a socket through a framer, with backpressure: the socket pauses while unread
// bytes pile up, and resumes once a read brings them under the mark.
import type { Duplex } from 'node:stream';

/** Unread bytes above which the socket stops reading until the session catches up. */
const HIGH_WATER = 1 << 20;

/** What a reader feeds: a framer over a ByteQueue. */
export interface ByteSink {
  push(chunk: Buffer): void;
  drain(): Buffer;
  readonly buffered: number;
}

export class SocketClosedError extends Error {
  constructor(cause?: unknown) {
    super('connection closed', cause === undefined ? undefined : { cause });
  }
}

export class FramedSocketReader<F extends ByteSink> {
  readonly framer: F;
  readonly #socket: Duplex;
  #waiting: (() => void) | undefined;
  #ended = false;
  #error: unknown;
  readonly #onData = (chunk: Buffer) => {
    this.framer.push(chunk);
    if (this.framer.buffered > HIGH_WATER) this.#socket.pause();
    this.#wake();
  };
  readonly #onEnd = () => {
    this.#ended = true;
    this.#wake();
  };
  readonly #onError = (error: unknown) => {
    this.#error = error;
    this.#ended = true;
    this.#wake();
  };

  /** `leftover`: bytes read from the socket before this reader (e.g. by the reader before TLS). */
  constructor(socket: Duplex, framer: F, leftover?: Buffer) {
    this.#socket = socket;
    this.framer = framer;
    if (leftover) framer.push(leftover);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onEnd);
    socket.on('error', this.#onError);
  }

  /** What `attempt` gives once it gives something, waiting for bytes; throws SocketClosedError when the peer is gone. */
  async read<T>(attempt: () => T | undefined): Promise<T> {
    for (;;) {
      const value = this.poll(attempt);
      if (value !== undefined) return value;
      if (this.#ended) throw new SocketClosedError(this.#error);
      if (this.#socket.isPaused()) this.#socket.resume();
      await new Promise<void>((resolve) => {
        this.#waiting = resolve;
      });
    }
  }

  /** What `attempt` gives from the bytes already buffered, without waiting. */
  poll<T>(attempt: () => T | undefined): T | undefined {
    const value = attempt();
    if (value !== undefined && this.#socket.isPaused() && this.framer.buffered <= HIGH_WATER) this.#socket.resume();
    return value;
  }

  /** Stops reading and hands back unread bytes, e.g. before the socket is wrapped in TLS. */
  detach(): Buffer {
    this.#socket.off('data', this.#onData);
    this.#socket.off('end', this.#onEnd);
    this.#socket.off('close', this.#onEnd);
    this.#socket.off('error', this.#onError);
    return this.framer.drain();
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.();
  }
}
