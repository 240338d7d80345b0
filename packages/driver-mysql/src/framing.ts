// Zero-copy framing of MySQL packets (3-byte length, 1-byte sequence id) out of a byte stream.
//
// A payload of 0xffffff bytes continues in the next physical packet; the framer hands out whole
// logical packets. `raw` covers every physical packet of it (a view into the chunk when it arrived
// in one); `payload` is a view too unless the packet was split across physical packets.
import { ByteQueue } from '@sluice/core';
import { MAX_PACKET_PAYLOAD } from './constants.js';

export interface Packet {
  /** Sequence id of the first physical packet. */
  readonly sequence: number;
  /** Physical packets it spans (1 unless the payload reached 16 MB). */
  readonly parts: number;
  readonly payload: Buffer;
  readonly raw: Buffer;
}

/** A stream that cannot be framed: the session ends with this reason. */
export interface FramingError {
  readonly error: string;
}

export class PacketFramer {
  #maxPayload: number;
  readonly #bytes = new ByteQueue();

  constructor(maxPayload: number) {
    this.#maxPayload = maxPayload;
  }

  setMaxPayload(maxPayload: number): void {
    this.#maxPayload = maxPayload;
  }

  push(chunk: Buffer): void {
    this.#bytes.push(chunk);
  }

  get buffered(): number {
    return this.#bytes.buffered;
  }

  /** Next logical packet, undefined when more bytes are needed, or a FramingError. */
  next(): Packet | FramingError | undefined {
    const size = this.#measure();
    if (size === undefined) return undefined;
    if ('error' in size) return size;
    if (!this.#bytes.contiguous(size.raw)) return undefined;
    const raw = this.#bytes.take(size.raw);
    const sequence = raw[3]!;
    if (size.parts === 1) return { sequence, parts: 1, payload: raw.subarray(4), raw };
    const payload = Buffer.allocUnsafe(size.raw - 4 * size.parts);
    let from = 0;
    let to = 0;
    for (let part = 0; part < size.parts; part++) {
      const length = raw.readUIntLE(from, 3);
      raw.copy(payload, to, from + 4, from + 4 + length);
      from += 4 + length;
      to += length;
    }
    return { sequence, parts: size.parts, payload, raw };
  }

  /** Removes and returns every byte not yet framed. */
  drain(): Buffer {
    return this.#bytes.drain();
  }

  /** Raw size and part count of the next logical packet once all of it is buffered; an error if too large. */
  #measure(): { raw: number; parts: number } | FramingError | undefined {
    const bytes = this.#bytes;
    const available = bytes.buffered;
    let position = 0;
    let payload = 0;
    let parts = 0;
    for (;;) {
      if (available < position + 4) return undefined;
      const length = bytes.byteAt(position)! | (bytes.byteAt(position + 1)! << 8) | (bytes.byteAt(position + 2)! << 16);
      payload += length;
      parts++;
      if (payload > this.#maxPayload) return { error: `packet of at least ${payload} bytes exceeds the limit of ${this.#maxPayload}` };
      position += 4 + length;
      if (length < MAX_PACKET_PAYLOAD) break;
    }
    return available >= position ? { raw: position, parts } : undefined;
  }
}

export function isFramingError(value: unknown): value is FramingError {
  return typeof value === 'object' && value !== null && 'error' in value;
}

/** Frames a payload as physical packets starting at `sequence` (splitting at 16 MB). */
export function framePacket(payload: Uint8Array, sequence: number): Buffer {
  const parts = Math.floor(payload.length / MAX_PACKET_PAYLOAD) + 1;
  const out = Buffer.allocUnsafe(payload.length + 4 * parts);
  let from = 0;
  let to = 0;
  for (let part = 0; part < parts; part++) {
    const length = Math.min(MAX_PACKET_PAYLOAD, payload.length - from);
    out.writeUIntLE(length, to, 3);
    out[to + 3] = (sequence + part) & 0xff;
    out.set(payload.subarray(from, from + length), to + 4);
    from += length;
    to += 4 + length;
  }
  return out;
}

/** Physical packets framePacket makes for a payload of this length. */
export function partsFor(payloadLength: number): number {
  return Math.floor(payloadLength / MAX_PACKET_PAYLOAD) + 1;
}

/** Rewrites the sequence ids of a framed packet in place, starting at `sequence`. */
export function renumber(raw: Buffer, sequence: number): void {
  let at = 0;
  let part = 0;
  while (at + 4 <= raw.length) {
    raw[at + 3] = (sequence + part++) & 0xff;
    at += 4 + raw.readUIntLE(at, 3);
  }
}
