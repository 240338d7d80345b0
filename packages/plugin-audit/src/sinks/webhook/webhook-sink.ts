// The webhook sink (SIEM): records spooled to disk, POSTed in order as JSON arrays, retried with backoff until accepted.
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PluginLogger } from '@sluice/core';
import type { SealedRecord } from '../../record/types.js';
import { BatchLoop } from '../batch-loop.js';
import { acquireLock } from '../file/lock-file.js';
import type { Sink, SinkStats } from '../sink.js';
import { Spool, type SpoolBatch } from './spool.js';

export interface WebhookSinkOptions {
  readonly url: string;
  /** Sent with every request; values are secrets (tokens) and are never logged. */
  readonly headers: Readonly<Record<string, string>>;
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly timeoutMs: number;
  readonly retry: { readonly initialMs: number; readonly maxMs: number };
  readonly spoolDir: string;
  readonly spoolMaxBytes: number;
  readonly log: PluginLogger;
}

export class WebhookSink implements Sink {
  readonly kind = 'webhook';
  readonly description: string;
  readonly #options: WebhookSinkOptions;
  readonly #spool: Spool;
  readonly #loop: BatchLoop<SpoolBatch>;
  #dropped = 0;
  #starting: Promise<void> | undefined;
  #startFailure: string | undefined;
  #releaseLock: (() => Promise<void>) | undefined;
  #startTimer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(options: WebhookSinkOptions, spool: Spool, description: string) {
    this.#options = options;
    this.#spool = spool;
    this.description = description;
    this.#loop = new BatchLoop({
      description,
      batchSize: options.batchSize,
      flushIntervalMs: options.flushIntervalMs,
      retry: options.retry,
      log: options.log,
      source: {
        peek: (max) => spool.peek(max),
        count: (batch) => batch.lines.length,
        remove: (batch) => spool.remove(batch),
        waiting: () => spool.pendingRecords(),
      },
      send: (batch) => this.#post(batch),
    }, false);
  }

  static async open(options: WebhookSinkOptions): Promise<WebhookSink> {
    const description = `webhook ${describeUrl(options.url)}`;
    let poke = () => {};
    const spool = await Spool.open(options.spoolDir, options.spoolMaxBytes, () => poke());
    const sink = new WebhookSink(options, spool, description);
    poke = () => sink.#loop.poke();
    if (spool.pendingRecords() > 0) {
      // Not at once: `sluice check` opens the plugin too, and must not deliver (or lock) anything.
      sink.#startTimer = setTimeout(() => void sink.#start(), START_DELAY_MS);
      sink.#startTimer.unref();
    }
    return sink;
  }

  accept(sealed: SealedRecord): void {
    void this.#start();
    if (this.#spool.append(sealed.line)) return;
    this.#dropped++;
    if (this.#dropped === 1 || this.#dropped % 1000 === 0) {
      this.#options.log.error({ sink: this.description, dropped: this.#dropped, seq: sealed.record.seq, spool: this.#spool.dir }, 'audit spool full: records dropped');
    }
  }

  failure(): string | undefined {
    if (this.#startFailure !== undefined) return this.#startFailure;
    if (this.#loop.failure !== undefined) return this.#loop.failure;
    const spoolFailure = this.#spool.failure();
    if (spoolFailure !== undefined) return spoolFailure;
    if (this.#spool.full()) return `its spool of ${this.#options.spoolMaxBytes} bytes is full`;
    return undefined;
  }

  stats(): SinkStats {
    return { written: this.#loop.delivered, pending: this.#spool.pendingRecords(), dropped: this.#dropped, spool_bytes: this.#spool.pendingBytes() };
  }

  flush(timeoutMs: number): Promise<void> {
    return this.#loop.flush(timeoutMs);
  }

  async close(timeoutMs: number): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#startTimer);
    await this.#starting;
    await this.#loop.close(timeoutMs);
    const pending = this.#spool.pendingRecords();
    if (pending > 0 && this.#releaseLock) this.#options.log.warn({ sink: this.description, pending, spool: this.#spool.dir }, 'audit records stay spooled until the next start');
    await this.#spool.close();
    await this.#releaseLock?.();
  }

  /** Takes the spool's lock (one process delivers from a spool), then starts delivering. */
  #start(): Promise<void> {
    if (this.#releaseLock || this.#closed) return Promise.resolve();
    this.#starting ??= (async () => {
      try {
        await mkdir(this.#spool.dir, { recursive: true });
        this.#releaseLock = await acquireLock(join(this.#spool.dir, 'spool'));
        this.#startFailure = undefined;
        clearTimeout(this.#startTimer);
        if (this.#spool.pendingRecords() > 0) this.#options.log.info({ sink: this.description, pending: this.#spool.pendingRecords() }, 'audit webhook: delivering spooled records');
        this.#loop.start();
      } catch (error) {
        this.#startFailure = `cannot take the spool: ${(error as Error).message}`;
        this.#options.log.error({ sink: this.description, error: this.#startFailure }, 'audit sink cannot write');
        // Try again later; new records keep going to the spool meanwhile.
        this.#startTimer = setTimeout(() => void this.#start(), START_RETRY_MS);
        this.#startTimer.unref();
      } finally {
        this.#starting = undefined;
      }
    })();
    return this.#starting;
  }

  async #post(batch: SpoolBatch): Promise<void> {
    let response: Response;
    try {
      response = await fetch(this.#options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.#options.headers },
        body: `[${batch.lines.join(',')}]`,
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { message?: string } }).cause?.message;
      throw new Error(`POST failed: ${cause ?? (error as Error).message}`);
    }
    await response.arrayBuffer().catch(() => undefined);
    if (response.ok) return;
    // A 4xx other than 408 and 429 refuses the batch for good: retrying would hold back every later record.
    const permanent = response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429;
    if (!permanent) throw new Error(`the endpoint answered HTTP ${response.status}`);
    await this.#setAside(batch, response.status);
  }

  /** Keeps a batch the endpoint refused for good beside the spool, so the records after it still go out. */
  async #setAside(batch: SpoolBatch, status: number): Promise<void> {
    const first = JSON.parse(batch.lines[0]!) as { seq?: number };
    const file = join(this.#spool.dir, `rejected-${first.seq ?? Date.now()}.jsonl`);
    await appendFile(file, batch.lines.map((line) => `${line}\n`).join(''));
    this.#options.log.error({ sink: this.description, status, records: batch.lines.length, file }, 'audit webhook refused a batch; it was set aside');
  }
}

const START_DELAY_MS = 2_000;
const START_RETRY_MS = 5_000;

/** Origin and path only: credentials and query strings may hold tokens. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
