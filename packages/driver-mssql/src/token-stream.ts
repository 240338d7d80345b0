// Tokens out of a message's packet payloads as they arrive: a token split across packets waits for
// the bytes it needs (the parser says how many), and only then are the pieces joined.
import { Cursor, Incomplete } from './cursor.js';
import { TokenParser, type TokenEvent } from './tokens.js';

const EMPTY = Buffer.alloc(0);

/** A token and the buffer its `start..end` refer to. */
export type StreamToken = TokenEvent & { readonly buf: Buffer };

export class TokenStream {
  readonly parser = new TokenParser();
  #buf: Buffer = EMPTY;
  #pos = 0;
  readonly #chunks: Buffer[] = [];
  #chunkBytes = 0;
  /** Bytes (from #pos) the last incomplete token needs before it is worth parsing again. */
  #needed = 0;
  readonly #cursor = new Cursor(EMPTY);

  push(payload: Buffer): void {
    if (payload.length === 0) return;
    if (this.#pos === this.#buf.length && this.#chunks.length === 0) {
      this.#buf = payload;
      this.#pos = 0;
    } else {
      this.#chunks.push(payload);
      this.#chunkBytes += payload.length;
    }
  }

  /** Unparsed bytes. */
  get pending(): number {
    return this.#buf.length - this.#pos + this.#chunkBytes;
  }

  /** The next whole token, or undefined until more bytes arrive. Throws TokenError on a malformed stream. */
  next(): StreamToken | undefined {
    if (this.pending === 0 || this.pending < this.#needed) return undefined;
    for (;;) {
      try {
        const event = this.parser.next(this.#cursor.reset(this.#buf, this.#pos)) as StreamToken;
        this.#pos = event.end;
        this.#needed = 0;
        (event as { buf: Buffer }).buf = this.#buf;
        return event;
      } catch (error) {
        if (!(error instanceof Incomplete)) throw error;
        const needed = error.needed - this.#pos;
        if (this.#chunks.length === 0 || this.pending < needed) {
          this.#needed = needed;
          return undefined;
        }
        this.#buf = Buffer.concat([this.#buf.subarray(this.#pos), ...this.#chunks]);
        this.#pos = 0;
        this.#chunks.length = 0;
        this.#chunkBytes = 0;
      }
    }
  }
}
