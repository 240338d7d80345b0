// Awaitable message reads from a socket, with backpressure: the socket pauses while unread bytes pile up.
import type { Duplex } from 'node:stream';
import { MessageFramer, type Frame, type FramingError } from './framing.js';

/** Unread bytes above which the socket stops reading until the session catches up. */
const HIGH_WATER = 1 << 20;

export class SocketClosedError extends Error {
  constructor(cause?: unknown) {
    super('connection closed', cause === undefined ? undefined : { cause });
  }
}

export class SocketReader {
  readonly framer: MessageFramer;
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

  constructor(socket: Duplex, maxMessage: number) {
    this.#socket = socket;
    this.framer = new MessageFramer(maxMessage);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onEnd);
    socket.on('error', this.#onError);
  }

  /** The next typed message; throws SocketClosedError when the peer is gone. */
  async message(): Promise<Frame | FramingError> {
    return this.#read(() => this.framer.next());
  }

  async startupPacket(maxLength: number): Promise<{ body: Buffer; raw: Buffer } | FramingError> {
    return this.#read(() => this.framer.nextStartup(maxLength));
  }

  /** The next message if one is buffered whole (or the stream cannot be framed), without waiting; undefined otherwise. */
  tryMessage(): Frame | FramingError | undefined {
    const value = this.framer.next();
    if (value !== undefined && this.#socket.isPaused() && this.framer.buffered <= HIGH_WATER) this.#socket.resume();
    return value;
  }

  /** Whether message() would resolve without waiting for the socket. */
  hasMessage(): boolean {
    return this.framer.hasMessage();
  }

  /** Waits until at least one byte is readable and returns it without consuming it. */
  async peekByte(): Promise<number> {
    const rest = await this.#read(() => {
      const bytes = this.framer.drain();
      return bytes.length > 0 ? bytes : undefined;
    });
    this.framer.push(rest);
    return rest[0]!;
  }

  /** Stops reading and hands back unread bytes, e.g. before the socket is wrapped in TLS. */
  detach(): Buffer {
    this.#socket.off('data', this.#onData);
    this.#socket.off('end', this.#onEnd);
    this.#socket.off('close', this.#onEnd);
    this.#socket.off('error', this.#onError);
    return this.framer.drain();
  }

  async #read<T>(attempt: () => T | undefined): Promise<T> {
    for (;;) {
      const value = attempt();
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

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.();
  }
}
