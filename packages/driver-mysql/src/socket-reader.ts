// Awaitable MySQL packet reads from a socket, with core's backpressure.
import { FramedSocketReader } from '@sluice/core';
import type { Duplex } from 'node:stream';
import { PacketFramer, type FramingError, type Packet } from './framing.js';

export { SocketClosedError } from '@sluice/core';

export class SocketReader extends FramedSocketReader<PacketFramer> {
  constructor(socket: Duplex, maxPayload: number) {
    super(socket, new PacketFramer(maxPayload));
  }

  /** The next packet; throws SocketClosedError when the peer is gone. */
  async packet(): Promise<Packet | FramingError> {
    return this.read(() => this.framer.next());
  }
}
