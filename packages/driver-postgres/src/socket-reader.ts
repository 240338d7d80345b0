// Awaitable PostgreSQL message reads from a socket, with core's backpressure.
import { FramedSocketReader } from '@sluice/core';
import type { Duplex } from 'node:stream';
import { MessageFramer, type Frame, type FramingError } from './framing.js';

export { SocketClosedError } from '@sluice/core';

export class SocketReader extends FramedSocketReader<MessageFramer> {
  constructor(socket: Duplex, maxMessage: number) {
    super(socket, new MessageFramer(maxMessage));
  }

  /** The next typed message; throws SocketClosedError when the peer is gone. */
  async message(): Promise<Frame | FramingError> {
    return this.read(() => this.framer.next());
  }

  async startupPacket(maxLength: number): Promise<{ body: Buffer; raw: Buffer } | FramingError> {
    return this.read(() => this.framer.nextStartup(maxLength));
  }

  /** The next message if one is buffered whole (or the stream cannot be framed), without waiting; undefined otherwise. */
  tryMessage(): Frame | FramingError | undefined {
    return this.poll(() => this.framer.next());
  }

  /** Whether message() would resolve without waiting for the socket. */
  hasMessage(): boolean {
    return this.framer.hasMessage();
  }

  /** Waits until at least one byte is readable and returns it without consuming it. */
  async peekByte(): Promise<number> {
    return this.read(() => this.framer.peekByte());
  }
}
