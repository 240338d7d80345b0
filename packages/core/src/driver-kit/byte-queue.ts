// The unread bytes of a stream, kept as the chunks they arrived in. A framer reads a message in
// place (`contiguous`, then `head` at `offset`) and takes it as a view; only a message split across
// chunks is copied, and only its own bytes.

const EMPTY = Buffer.alloc(0);

export class ByteQueue {
  #head: Buffer = EMPTY;
  #offset = 0;
  readonly #tail: Buffer[] = [];
  #tailBytes = 0;

  /** The chunk the next unread byte is in, once `contiguous` said yes; read it from `offset`. */
  get head(): Buffer {
    return this.#head;
  }

  get offset(): number {
    return this.#offset;
  }

  get buffered(): number {
    return this.#head.length - this.#offset + this.#tailBytes;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.#offset === this.#head.length && this.#tail.length === 0) {
      this.#head = chunk;
      this.#offset = 0;
    } else {
      this.#tail.push(chunk);
      this.#tailBytes += chunk.length;
    }
  }

  /** The unread byte at `index`, without consuming anything; undefined past the end. */
  byteAt(index: number): number | undefined {
    let at = this.#offset + index;
    if (at < this.#head.length) return this.#head[at];
    at -= this.#head.length;
    for (const chunk of this.#tail) {
      if (at < chunk.length) return chunk[at];
      at -= chunk.length;
    }
    return undefined;
  }

  /**
   * Makes the first `bytes` unread bytes readable from `head` at `offset`; false while fewer are
   * buffered. An exhausted head is replaced by the next chunk as it is.
   */
  contiguous(bytes: number): boolean {
    while (this.#offset === this.#head.length && this.#tail.length > 0) {
      const next = this.#tail.shift()!;
      this.#tailBytes -= next.length;
      this.#head = next;
      this.#offset = 0;
    }
    const inHead = this.#head.length - this.#offset;
    if (inHead >= bytes) return true;
    if (inHead + this.#tailBytes < bytes) return false;
    const merged = Buffer.allocUnsafe(bytes);
    this.#head.copy(merged, 0, this.#offset);
    let filled = inHead;
    while (filled < bytes) {
      const chunk = this.#tail.shift()!;
      this.#tailBytes -= chunk.length;
      const take = Math.min(chunk.length, bytes - filled);
      chunk.copy(merged, filled, 0, take);
      filled += take;
      if (take < chunk.length) {
        const rest = chunk.subarray(take);
        this.#tail.unshift(rest);
        this.#tailBytes += rest.length;
      }
    }
    this.#head = merged;
    this.#offset = 0;
    return true;
  }

  /** Consumes `bytes` bytes that `contiguous(bytes)` made readable, as a view. */
  take(bytes: number): Buffer {
    const view = this.#head.subarray(this.#offset, this.#offset + bytes);
    this.#offset += bytes;
    return view;
  }

  /** Removes and returns every unread byte. */
  drain(): Buffer {
    const rest = this.#tail.length === 0 ? this.#head.subarray(this.#offset) : Buffer.concat([this.#head.subarray(this.#offset), ...this.#tail]);
    this.#head = EMPTY;
    this.#offset = 0;
    this.#tail.length = 0;
    this.#tailBytes = 0;
    return rest;
  }
}
