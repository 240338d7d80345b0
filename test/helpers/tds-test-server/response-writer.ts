// One server response message: tokens are packed into packets of the negotiated size as they come,
// the last packet flagged END OF MESSAGE, with the socket's backpressure respected.
import type { Writable } from 'node:stream';
import { packet } from './packets.js';
import { HEADER_LENGTH, PacketStatus, PacketType } from './protocol.js';

export interface Output {
  readonly stream: Writable;
  readonly packetSize: number;
}

export class ResponseWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private packetId = 1;
  private blocked = false;
  ended = false;
  /** Whether any token was written to this response. */
  written = false;

  constructor(private readonly output: () => Output) {}

  write(token: Buffer): void {
    if (this.ended) throw new Error('response already ended');
    this.written = true;
    this.pending.push(token);
    this.pendingBytes += token.length;
    const room = this.output().packetSize - HEADER_LENGTH;
    // Keep at least one byte back so that end() always has a packet to flag.
    if (this.pendingBytes > room) {
      let joined = Buffer.concat(this.pending);
      while (joined.length > room) {
        this.send(PacketStatus.Normal, joined.subarray(0, room));
        joined = joined.subarray(room);
      }
      this.pending = [joined];
      this.pendingBytes = joined.length;
    }
  }

  /** Sends what is buffered without ending the message (a server dying mid-message). */
  flushPartial(): void {
    if (this.pendingBytes > 0) this.send(PacketStatus.Normal, Buffer.concat(this.pending));
    this.pending = [];
    this.pendingBytes = 0;
  }

  end(): void {
    if (this.ended) return;
    this.send(PacketStatus.EndOfMessage, Buffer.concat(this.pending));
    this.pending = [];
    this.pendingBytes = 0;
    this.ended = true;
  }

  private send(status: number, payload: Buffer): void {
    const { stream } = this.output();
    if (stream.destroyed || !stream.writable) return;
    if (!stream.write(packet(PacketType.TabularResult, status, payload, this.packetId++))) this.blocked = true;
  }

  /** Resolves once the socket has taken what was written (immediately when it never pushed back). */
  async drained(): Promise<void> {
    if (!this.blocked) return;
    const { stream } = this.output();
    if (stream.destroyed || !stream.writable) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        stream.off('drain', done);
        stream.off('close', done);
        resolve();
      };
      stream.on('drain', done);
      stream.on('close', done);
    });
    this.blocked = false;
  }
}
