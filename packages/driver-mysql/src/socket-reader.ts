// Awaitable packet reads from a socket, with backpressure: the socket pauses while unread bytes pile up.
import type { Duplex } from 'node:stream';
import { PacketFramer, type FramingError, type Packet } from './framing.js';

/** Unread bytes above which the socket stops reading until the session catches up. */
const HIGH_WATER = 1 << 20;

export class SocketClosedError extends Error {
  constructor(cause?: unknown) {
    super('connection closed', cause === undefined ? undefined : { cause });
  }
}

export class SocketReader {
  readonly framer: PacketFramer;
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

  constructor(socket: Duplex, maxPayload: number) {
    this.#socket = socket;
    this.framer = new PacketFramer(maxPayload);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onEnd);
    socket.on('error', this.#onError);
  }

  /** The next packet; throws SocketClosedError when the peer is gone. */
  async packet(): Promise<Packet | FramingError> {
    for (;;) {
      const value = this.framer.next();
      if (value !== undefined) {
        if (this.#socket.isPaused() && this.framer.buffered <= HIGH_WATER) this.#socket.resume();
        return value;
      }
      if (this.#ended) throw new SocketClosedError(this.#error);
      if (this.#socket.isPaused()) this.#socket.resume();
      await new Promise<void>((resolve) => {
        this.#waiting = resolve;
      });
    }
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
