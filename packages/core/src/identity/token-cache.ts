// Remembers introspection answers until their token expires, keyed by a hash so no token is kept.
import { createHash } from 'node:crypto';

const DEFAULT_MAX_ENTRIES = 10_000;

export class TokenCache<V> {
  readonly #entries = new Map<string, { readonly value: V; readonly until: number }>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: { maxEntries?: number; now?: () => number } = {}) {
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(token: string): V | undefined {
    const key = keyOf(token);
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Keeps `value` until the epoch millisecond `until`; a full cache drops expired, then oldest entries. */
  set(token: string, value: V, until: number): void {
    if (until <= this.#now()) return;
    if (this.#entries.size >= this.#maxEntries) this.#evict();
    this.#entries.set(keyOf(token), { value, until });
  }

  #evict(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) if (entry.until <= now) this.#entries.delete(key);
    while (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
  }
}

export function keyOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
