// Process-wide, reference-counted resources, so a config reload hands the same file, spool and chain to the new plugin instance.

export interface Lease<T> {
  readonly value: T;
  /** True when this lease was the last one: the resource is then closed. */
  release(): Promise<boolean>;
  /** How many leases are open on the resource, this one included. */
  holders(): number;
}

interface Entry<T> {
  readonly value: Promise<T>;
  readonly fingerprint: string;
  refs: number;
}

export class SharedResources<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #close: (value: T) => Promise<void>;

  constructor(close: (value: T) => Promise<void>) {
    this.#close = close;
  }

  /**
   * The resource under `key`, created on first use. `fingerprint` describes the options it was
   * created with; `onDifferent` is told when a later caller asks with other options (they apply at restart).
   */
  async acquire(key: string, fingerprint: string, create: () => Promise<T>, onDifferent?: () => void): Promise<Lease<T>> {
    let entry = this.#entries.get(key);
    if (entry) {
      if (entry.fingerprint !== fingerprint) onDifferent?.();
    } else {
      entry = { value: create(), fingerprint, refs: 0 };
      this.#entries.set(key, entry);
      entry.value.catch(() => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      });
    }
    const held = entry;
    held.refs++;
    let value: T;
    try {
      value = await held.value;
    } catch (error) {
      held.refs--;
      throw error;
    }
    let released = false;
    return {
      value,
      holders: () => held.refs,
      release: async () => {
        if (released) return false;
        released = true;
        held.refs--;
        if (held.refs > 0) return false;
        if (this.#entries.get(key) === held) this.#entries.delete(key);
        await this.#close(value);
        return true;
      },
    };
  }
}
