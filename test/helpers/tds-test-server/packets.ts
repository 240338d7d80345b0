// TDS packet framing: assembles client messages from packets and splits server messages into packets.
import { HEADER_LENGTH, PacketStatus } from './protocol.js';

export interface Packet {
  readonly type: number;
  readonly status: number;
  readonly payload: Buffer;
}

export interface Message {
  readonly type: number;
  /** Status of the first packet (carries RESETCONNECTION). */
  readonly status: number;
  readonly payload: Buffer;
}

/** The largest message the test server accepts (a guard against runaway input, not a protocol limit). */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Cuts a byte stream into packets. Bad headers become errors the session turns into a disconnect. */
export class PacketReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
  }

  /** The first byte not yet consumed, if any (to tell a packet from a raw TLS record). */
  peekByte(): number | undefined {
    return this.pending[0];
  }

  takeRemaining(): Buffer {
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    return rest;
  }

  next(): Packet | Error | undefined {
    if (this.pending.length < HEADER_LENGTH) return undefined;
    const length = this.pending.readUInt16BE(2);
    if (length < HEADER_LENGTH) return new Error(`bad packet header: length ${length}`);
    if (this.pending.length < length) return undefined;
    const packet = { type: this.pending[0]!, status: this.pending[1]!, payload: this.pending.subarray(HEADER_LENGTH, length) };
    this.pending = this.pending.subarray(length);
    return packet;
  }
}

/** Joins packets until END OF MESSAGE. */
export class MessageAssembler {
  private parts: Buffer[] = [];
  private bytes = 0;
  private first: Packet | undefined;

  add(packet: Packet): Message | Error | undefined {
    if (this.first && packet.type !== this.first.type) {
      return new Error(`packet of type 0x${packet.type.toString(16)} inside a message of type 0x${this.first.type.toString(16)}`);
    }
    this.first ??= packet;
    this.parts.push(packet.payload);
    this.bytes += packet.payload.length;
    if (this.bytes > MAX_MESSAGE_BYTES) return new Error(`message larger than ${MAX_MESSAGE_BYTES} bytes`);
    if ((packet.status & PacketStatus.EndOfMessage) === 0) return undefined;
    const message = { type: this.first.type, status: this.first.status, payload: Buffer.concat(this.parts) };
    this.parts = [];
    this.bytes = 0;
    this.first = undefined;
    return message;
  }

  get inProgress(): boolean {
    return this.first !== undefined;
  }
}

/** One packet: header plus payload. */
export function packet(type: number, status: number, payload: Uint8Array, packetId: number): Buffer {
  const out = Buffer.allocUnsafe(HEADER_LENGTH + payload.length);
  out[0] = type;
  out[1] = status;
  out.writeUInt16BE(out.length, 2);
  out.writeUInt16BE(0, 4); // SPID
  out[6] = packetId & 0xff;
  out[7] = 0; // window
  out.set(payload, HEADER_LENGTH);
  return out;
}

/** A whole message as packets of at most `packetSize` bytes, the last one flagged END OF MESSAGE. */
export function packetsOf(type: number, payload: Buffer, packetSize: number): Buffer[] {
  const room = packetSize - HEADER_LENGTH;
  const out: Buffer[] = [];
  let id = 1;
  let offset = 0;
  do {
    const end = Math.min(offset + room, payload.length);
    out.push(packet(type, end === payload.length ? PacketStatus.EndOfMessage : PacketStatus.Normal, payload.subarray(offset, end), id++));
    offset = end;
  } while (offset < payload.length);
  return out;
}
