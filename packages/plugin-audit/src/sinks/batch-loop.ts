// The delivery loop shared by the network sinks: wait for a batch to fill or a flush interval, send, back off on failure.
import type { PluginLogger } from '@sluice/core';
import { Alarm, Backoff, delay } from './backoff.js';

export interface BatchSource<B> {
  /** The next batch, oldest records first, or undefined when nothing is waiting. */
  peek(max: number): Promise<B | undefined>;
  count(batch: B): number;
  /** Removes a delivered batch. */
  remove(batch: B): Promise<void>;
  /** Records waiting. */
  waiting(): number;
}

export interface BatchLoopOptions<B> {
  readonly description: string;
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly retry: { readonly initialMs: number; readonly maxMs: number };
  readonly source: BatchSource<B>;
  readonly send: (batch: B) => Promise<void>;
  /** Called after each failed attempt, to drop connections. */
  readonly reset?: () => Promise<void>;
  readonly log: PluginLogger;
}

export class BatchLoop<B> {
  readonly #options: BatchLoopOptions<B>;
  readonly #alarm = new Alarm();
  readonly #backoff: Backoff;
  #waitingFor: 'records' | 'batch' | 'retry' | undefined;
  #failure: string | undefined;
  #flushing = false;
  #closing = false;
  /** Set when close() gives up waiting: the loop ends at its next turn. */
  #stopped = false;
  #delivered = 0;
  #running: Promise<void> | undefined;

  /** `start` false: the loop waits for start(), e.g. until the sink has taken its lock. */
  constructor(options: BatchLoopOptions<B>, start = true) {
    this.#options = options;
    this.#backoff = new Backoff(options.retry.initialMs, options.retry.maxMs);
    if (start) this.start();
  }

  start(): void {
    this.#running ??= this.#run();
  }

  get failure(): string | undefined {
    return this.#failure;
  }

  get delivered(): number {
    return this.#delivered;
  }

  /** New records are waiting: wakes the loop if it was idle, or if a full batch is ready. */
  poke(): void {
    if (!this.#running) return;
    if (this.#waitingFor === 'records') this.#alarm.wake();
    else if (this.#waitingFor === 'batch' && this.#options.source.waiting() >= this.#options.batchSize) this.#alarm.wake();
  }

  /** Sends what is waiting without waiting for the flush interval; resolves when it is out or the time is up. */
  async flush(timeoutMs: number): Promise<void> {
    if (!this.#running) return;
    const deadline = Date.now() + timeoutMs;
    this.#flushing = true;
    if (this.#waitingFor !== 'retry') this.#alarm.wake();
    try {
      while (this.#options.source.waiting() > 0 && Date.now() < deadline && !this.#stopped) {
        await delay(Math.min(20, deadline - Date.now()));
      }
    } finally {
      this.#flushing = false;
    }
  }

  /** One last attempt for what is waiting, within `timeoutMs`; then the loop ends. */
  async close(timeoutMs: number): Promise<void> {
    this.#closing = true;
    if (!this.#running) return;
    this.#alarm.wake();
    await Promise.race([this.#running, delay(timeoutMs)]);
    this.#stopped = true;
    this.#alarm.wake();
  }

  async #run(): Promise<void> {
    const { source, batchSize, flushIntervalMs } = this.#options;
    for (;;) {
      if (this.#stopped) return;
      if (source.waiting() === 0) {
        if (this.#closing) return;
        await this.#wait('records', 60_000);
        continue;
      }
      if (source.waiting() < batchSize && !this.#closing && !this.#flushing) await this.#wait('batch', flushIntervalMs);
      let batch: B | undefined;
      try {
        batch = await source.peek(batchSize);
        if (batch === undefined) {
          // Records are counted but not readable yet (still on their way to disk): wait for them.
          await this.#wait('records', flushIntervalMs);
          continue;
        }
        await this.#options.send(batch);
        await source.remove(batch);
        this.#delivered += source.count(batch);
        this.#recovered();
      } catch (error) {
        this.#fail(error);
        await this.#options.reset?.().catch(() => undefined);
        if (this.#closing) return;
        await this.#wait('retry', this.#backoff.next());
      }
    }
  }

  async #wait(reason: 'records' | 'batch' | 'retry', ms: number): Promise<void> {
    this.#waitingFor = reason;
    await this.#alarm.sleep(ms);
    this.#waitingFor = undefined;
  }

  #fail(error: unknown): void {
    const reason = (error as Error).message;
    if (this.#failure === undefined) this.#options.log.error({ sink: this.#options.description, error: reason, pending: this.#options.source.waiting() }, 'audit sink cannot write');
    this.#failure = reason;
  }

  #recovered(): void {
    this.#backoff.reset();
    if (this.#failure === undefined) return;
    this.#failure = undefined;
    this.#options.log.info({ sink: this.#options.description }, 'audit sink writing again');
  }
}
