// Awaitable TDS message reads from a socket, with backpressure: the socket pauses while unread bytes pile up.
import type { Duplex } from 'node:stream';
import { MessageAssembler, PacketFramer, isFramingError, type FramingError, type Message, type Packet } from './packet.js';

const HIGH_WATER = 1 << 20;

export class SocketClosedError extends Error {
  constructor(cause?: unknown) {
    super('connection closed', cause === undefined ? undefined : { cause });
  }
}

export class SocketReader {
  readonly framer: PacketFramer;
  readonly assembler: MessageAssembler;
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

  constructor(socket: Duplex, maxPacket: number, maxMessage: number, leftover?: Buffer) {
    this.#socket = socket;
    this.framer = new PacketFramer(maxPacket);
    this.assembler = new MessageAssembler(maxMessage);
    if (leftover) this.framer.push(leftover);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onEnd);
    socket.on('error', this.#onError);
  }

  /** The next whole message; throws SocketClosedError when the peer is gone. */
  async message(): Promise<Message | FramingError> {
    for (;;) {
      const packet = await this.packet();
      if (isFramingError(packet)) return packet;
      const message = this.assembler.add(packet);
      if (message) return message;
    }
  }

  /** The next packet. */
  async packet(): Promise<Packet | FramingError> {
    return this.#read(() => this.framer.next());
  }

  /** Waits until a byte is readable and returns it without consuming it. */
  async peekByte(): Promise<number> {
    return this.#read(() => this.framer.peek());
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
