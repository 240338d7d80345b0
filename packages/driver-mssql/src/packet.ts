// TDS packets: the 8-byte header, zero-copy framing of packets out of a byte stream, messages assembled from packets, and packetizing.
import { ByteQueue } from '@sluice/core';
import { PACKET_HEADER_LENGTH, PacketStatus } from './codes.js';

/** One packet: `raw` is the whole packet, `payload` what follows the header (views, no copy). */
export interface Packet {
  readonly type: number;
  readonly status: number;
  readonly raw: Buffer;
  readonly payload: Buffer;
}

/** A whole message: the packets it came in (as received, for forwarding) and its payload. */
export interface Message {
  readonly type: number;
  /** Status of the first packet (RESETCONNECTION and friends are set there). */
  readonly status: number;
  readonly packets: readonly Buffer[];
  readonly payload: Buffer;
}

/** A stream that cannot be framed: the session ends with this reason. */
export interface FramingError {
  readonly error: string;
}

export function isFramingError(value: unknown): value is FramingError {
  return typeof value === 'object' && value !== null && 'error' in value;
}

/** Splits a byte stream into packets; a packet split across chunks is copied once. */
export class PacketFramer {
  #maxPacket: number;
  readonly #bytes = new ByteQueue();

  constructor(maxPacket: number) {
    this.#maxPacket = maxPacket;
  }

  setMaxPacket(maxPacket: number): void {
    this.#maxPacket = maxPacket;
  }

  push(chunk: Buffer): void {
    this.#bytes.push(chunk);
  }

  get buffered(): number {
    return this.#bytes.buffered;
  }

  /** The first unread byte, if any. */
  peek(): number | undefined {
    return this.#bytes.byteAt(0);
  }

  /** The next whole packet, undefined when more bytes are needed, or a framing error. */
  next(): Packet | FramingError | undefined {
    const bytes = this.#bytes;
    if (!bytes.contiguous(PACKET_HEADER_LENGTH)) return undefined;
    const length = bytes.head.readUInt16BE(bytes.offset + 2);
    if (length < PACKET_HEADER_LENGTH) return { error: `invalid packet length ${length}` };
    if (length > this.#maxPacket) return { error: `packet of ${length} bytes exceeds the negotiated packet size ${this.#maxPacket}` };
    if (!bytes.contiguous(length)) return undefined;
    const raw = bytes.take(length);
    return { type: raw[0]!, status: raw[1]!, raw, payload: raw.subarray(PACKET_HEADER_LENGTH) };
  }

  /** Hands back every unread byte (e.g. before the stream switches to TLS). */
  drain(): Buffer {
    return this.#bytes.drain();
  }
}

/** Collects packets until the one with END OF MESSAGE. */
export class MessageAssembler {
  #maxMessage: number;
  #packets: Buffer[] = [];
  #payloads: Buffer[] = [];
  #bytes = 0;
  #type = -1;
  #status = 0;

  constructor(maxMessage: number) {
    this.#maxMessage = maxMessage;
  }

  setMaxMessage(maxMessage: number): void {
    this.#maxMessage = maxMessage;
  }

  /** True while a message has started and not ended. */
  get partial(): boolean {
    return this.#packets.length > 0;
  }

  /** Adds a packet; returns the message it ends, undefined when more packets follow, or a framing error. */
  add(packet: Packet): Message | FramingError | undefined {
    if (this.#packets.length === 0) {
      this.#type = packet.type;
      this.#status = packet.status;
    } else if (packet.type !== this.#type) {
      return { error: `packet of type ${packet.type} inside a message of type ${this.#type}` };
    }
    this.#bytes += packet.payload.length;
    if (this.#bytes > this.#maxMessage) return { error: `message of more than ${this.#maxMessage} bytes` };
    this.#packets.push(packet.raw);
    this.#payloads.push(packet.payload);
    if ((packet.status & PacketStatus.EndOfMessage) === 0) return undefined;
    const payloads = this.#payloads;
    const message: Message = {
      type: this.#type,
      status: this.#status,
      packets: this.#packets,
      payload: payloads.length === 1 ? payloads[0]! : Buffer.concat(payloads, this.#bytes),
    };
    this.#packets = [];
    this.#payloads = [];
    this.#bytes = 0;
    return message;
  }
}

export function packetHeader(type: number, status: number, length: number, packetId: number): Buffer {
  const header = Buffer.allocUnsafe(PACKET_HEADER_LENGTH);
  header[0] = type;
  header[1] = status;
  header.writeUInt16BE(length, 2);
  header.writeUInt16BE(0, 4); // SPID
  header[6] = packetId & 0xff;
  header[7] = 0; // window
  return header;
}

/**
 * Splits a payload into packets of at most `packetSize` bytes; END OF MESSAGE on the last one
 * unless `endOfMessage` is false (a message continued by a later call).
 */
export function packetize(type: number, payload: Buffer, packetSize: number, options: { status?: number; endOfMessage?: boolean; firstId?: number } = {}): Buffer {
  const room = packetSize - PACKET_HEADER_LENGTH;
  const count = Math.max(1, Math.ceil(payload.length / room));
  const out = Buffer.allocUnsafe(payload.length + count * PACKET_HEADER_LENGTH);
  let id = options.firstId ?? 1;
  let at = 0;
  for (let i = 0; i < count; i++) {
    const part = payload.subarray(i * room, (i + 1) * room);
    const last = i === count - 1;
    const status = (options.status ?? 0) | (last && options.endOfMessage !== false ? PacketStatus.EndOfMessage : 0);
    packetHeader(type, status, part.length + PACKET_HEADER_LENGTH, id++).copy(out, at);
    part.copy(out, at + PACKET_HEADER_LENGTH);
    at += part.length + PACKET_HEADER_LENGTH;
  }
  return out;
}
