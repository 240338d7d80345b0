// Retry delays that grow from `initial` to `max` with jitter, and a sleep that close() can cut short.

export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  #attempt = 0;

  constructor(initialMs: number, maxMs: number) {
    this.#initialMs = initialMs;
    this.#maxMs = Math.max(initialMs, maxMs);
  }

  /** The next delay: doubles each time, with up to 20% jitter so many sinks do not retry in step. */
  next(): number {
    const base = Math.min(this.#maxMs, this.#initialMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return Math.round(base * (0.8 + Math.random() * 0.2));
  }

  reset(): void {
    this.#attempt = 0;
  }
}

/** A plain sleep that does not keep the process alive. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** A sleep that resolves early when `wake()` is called. */
export class Alarm {
  #wake: (() => void) | undefined;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      // Unref'd: a sink waiting to retry must not keep a stopping process alive.
      const timer = setTimeout(done, ms);
      timer.unref();
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self.#wake === done) self.#wake = undefined;
        resolve();
      }
      this.#wake = done;
    });
  }

  wake(): void {
    this.#wake?.();
  }
}
