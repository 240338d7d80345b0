// Awaitable TDS packet and message reads from a socket, with core's backpressure.
import { FramedSocketReader } from '@sluice/core';
import type { Duplex } from 'node:stream';
import { MessageAssembler, PacketFramer, isFramingError, type FramingError, type Message, type Packet } from './packet.js';

export { SocketClosedError } from '@sluice/core';

export class SocketReader extends FramedSocketReader<PacketFramer> {
  readonly assembler: MessageAssembler;

  constructor(socket: Duplex, maxPacket: number, maxMessage: number, leftover?: Buffer) {
    super(socket, new PacketFramer(maxPacket), leftover);
    this.assembler = new MessageAssembler(maxMessage);
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
    return this.read(() => this.framer.next());
  }

  /** Waits until a byte is readable and returns it without consuming it. */
  async peekByte(): Promise<number> {
    return this.read(() => this.framer.peek());
  }
}
