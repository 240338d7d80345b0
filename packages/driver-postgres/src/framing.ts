// Zero-copy framing of PostgreSQL messages out of a byte stream: views into the chunks, one copy only for a message split across chunks.
import { ByteQueue } from '@sluice/core';

/** One message: `raw` is the whole message (code, length, body), `body` what follows the length. */
export interface Frame {
  readonly code: number;
  readonly body: Buffer;
  readonly raw: Buffer;
}

/** A stream that cannot be framed: the session ends with this reason. */
export interface FramingError {
  readonly error: string;
}

/** Splits a byte stream into typed messages (and the untyped startup packets before them). */
export class MessageFramer {
  #maxMessage: number;
  readonly #bytes = new ByteQueue();

  constructor(maxMessage: number) {
    this.#maxMessage = maxMessage;
  }

  setMaxMessage(maxMessage: number): void {
    this.#maxMessage = maxMessage;
  }

  push(chunk: Buffer): void {
    this.#bytes.push(chunk);
  }

  get buffered(): number {
    return this.#bytes.buffered;
  }

  /** The first unread byte without consuming it, if any. */
  peekByte(): number | undefined {
    return this.#bytes.byteAt(0);
  }

  /** Whether next() would return a whole message (or an error) without more bytes. */
  hasMessage(): boolean {
    const bytes = this.#bytes;
    if (bytes.buffered < 5 || !bytes.contiguous(5)) return false;
    const length = bytes.head.readInt32BE(bytes.offset + 1);
    return length < 4 || length > this.#maxMessage || bytes.buffered >= length + 1;
  }

  /** Next typed message, undefined when more bytes are needed, or a FramingError. */
  next(): Frame | FramingError | undefined {
    const bytes = this.#bytes;
    if (!bytes.contiguous(5)) return undefined;
    const length = bytes.head.readInt32BE(bytes.offset + 1);
    if (length < 4 || length > this.#maxMessage) {
      return { error: `invalid message length ${length} for message type 0x${bytes.head[bytes.offset]!.toString(16)}` };
    }
    if (!bytes.contiguous(length + 1)) return undefined;
    const raw = bytes.take(length + 1);
    return { code: raw[0]!, body: raw.subarray(5), raw };
  }

  /** Next untyped startup-phase packet (int32 length including itself, then the body). */
  nextStartup(maxLength: number): { body: Buffer; raw: Buffer } | FramingError | undefined {
    const bytes = this.#bytes;
    if (!bytes.contiguous(4)) return undefined;
    const length = bytes.head.readInt32BE(bytes.offset);
    if (length < 8 || length > maxLength) return { error: `invalid length of startup packet (${length})` };
    if (!bytes.contiguous(length)) return undefined;
    const raw = bytes.take(length);
    return { body: raw.subarray(4), raw };
  }

  /** Removes and returns every byte not yet framed. */
  drain(): Buffer {
    return this.#bytes.drain();
  }
}

export function isFramingError(value: unknown): value is FramingError {
  return typeof value === 'object' && value !== null && 'error' in value;
}
