// The JSONL file sink: one append-only descriptor, group commit, fsync per record or per interval, rotation by size or age.
import { mkdir, open, readdir, rename, truncate, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { PluginLogger } from '@sluice/core';
import type { ChainHead } from '../../record/chain.js';
import type { SealedRecord } from '../../record/types.js';
import { Alarm, Backoff, delay } from '../backoff.js';
import type { Sink, SinkStats } from '../sink.js';
import { readFileEnds } from './file-tail.js';
import { acquireLock } from './lock-file.js';
import { rotatedFirstSeq, rotatedName } from './rotated-names.js';

export interface FileSinkOptions {
  /** Absolute path of the active file. */
  readonly path: string;
  /** `record`: every record is fsynced before it counts as durable; `interval`: fsync every `fsyncIntervalMs`. */
  readonly fsync: 'record' | 'interval';
  readonly fsyncIntervalMs: number;
  readonly rotateBytes?: number;
  readonly rotateAgeMs?: number;
  /** Records held in memory while the file cannot be written; more are dropped. */
  readonly maxPending: number;
  readonly retry: { readonly initialMs: number; readonly maxMs: number };
  readonly log: PluginLogger;
}

const MAX_BATCH_BYTES = 1 << 20;
const NO_SUCH_FILE = new Set(['ENOENT', 'ENOTDIR']);

export class FileSink implements Sink {
  readonly kind = 'file';
  readonly description: string;
  readonly #options: FileSinkOptions;
  readonly #log: PluginLogger;
  readonly #queue: SealedRecord[] = [];
  readonly #backoff: Backoff;
  readonly #alarm = new Alarm();
  readonly #waiters: { seq: number; resolve: (durable: boolean) => void }[] = [];
  #handle: FileHandle | undefined;
  #releaseLock: (() => Promise<void>) | undefined;
  #size = 0;
  #first: { seq: number; ts: Date } | undefined;
  #writtenSeq = 0;
  #durableSeq = 0;
  #written = 0;
  #dropped = 0;
  #failure: string | undefined;
  #draining: Promise<void> | undefined;
  #syncTimer: NodeJS.Timeout | undefined;
  #closing = false;
  #closed = false;

  private constructor(options: FileSinkOptions) {
    this.#options = options;
    this.#log = options.log;
    this.description = `file ${options.path}`;
    this.#backoff = new Backoff(options.retry.initialMs, options.retry.maxMs);
    if (options.fsync === 'interval') {
      this.#syncTimer = setInterval(() => void this.#syncNow(), options.fsyncIntervalMs);
      this.#syncTimer.unref();
    }
  }

  /**
   * Reads the head of the chain the file holds (or its newest rotated file holds), without writing
   * anything: the file is created, locked and opened for appending at the first record, so
   * `sluice check` beside a running Sluice neither writes nor collides with its lock. An existing
   * trail that cannot be read is an error.
   */
  static async open(options: FileSinkOptions): Promise<{ sink: FileSink; head: ChainHead | undefined }> {
    const sink = new FileSink(options);
    const head = await sink.#recover();
    return { sink, head };
  }

  get durableSeq(): number {
    return this.#durableSeq;
  }

  /** Resolves true once the record `seq` is on disk (fsynced), false if the sink closes first. */
  whenDurable(seq: number): Promise<boolean> {
    if (this.#durableSeq >= seq) return Promise.resolve(true);
    if (this.#closed) return Promise.resolve(false);
    return new Promise((resolve) => this.#waiters.push({ seq, resolve }));
  }

  accept(sealed: SealedRecord): void {
    if (this.#closed) {
      this.#dropped++;
      this.#log.error({ sink: this.description, seq: sealed.record.seq }, 'audit record arrived after the sink closed: dropped');
      return;
    }
    if (this.#queue.length >= this.#options.maxPending) {
      this.#dropped++;
      if (this.#dropped === 1 || this.#dropped % 1000 === 0) {
        this.#log.error({ sink: this.description, dropped: this.#dropped, seq: sealed.record.seq }, 'audit sink buffer full: records dropped');
      }
      return;
    }
    this.#queue.push(sealed);
    this.#schedule();
  }

  failure(): string | undefined {
    if (this.#failure !== undefined) return this.#failure;
    if (this.#queue.length >= this.#options.maxPending) return `its buffer of ${this.#options.maxPending} records is full`;
    return undefined;
  }

  stats(): SinkStats {
    return { written: this.#written, pending: this.#queue.length, dropped: this.#dropped };
  }

  async flush(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#queue.length > 0 && Date.now() < deadline) {
      if (!this.#draining) {
        if (this.#closing) break;
        this.#schedule();
      }
      await Promise.race([this.#draining, delay(Math.max(1, deadline - Date.now()))]);
    }
    await this.#syncNow();
  }

  async close(timeoutMs: number): Promise<void> {
    if (this.#closed) return;
    this.#closing = true;
    this.#alarm.wake();
    await this.flush(timeoutMs);
    this.#closed = true;
    clearInterval(this.#syncTimer);
    if (this.#queue.length > 0) {
      this.#log.error({ sink: this.description, lost: this.#queue.length, error: this.#failure }, 'audit records could not be written before the sink closed');
    }
    await this.#draining;
    await this.#syncNow();
    await this.#closeHandle();
    await this.#releaseLock?.();
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(this.#durableSeq >= waiter.seq);
  }

  async #recover(): Promise<ChainHead | undefined> {
    const { path } = this.#options;
    let ends: Awaited<ReturnType<typeof readFileEnds>>;
    try {
      ends = await readFileEnds(path);
    } catch (error) {
      if (!NO_SUCH_FILE.has((error as NodeJS.ErrnoException).code ?? '')) throw new Error(`cannot read ${path} to continue its chain: ${(error as Error).message}`);
      ends = undefined;
    }
    if (ends?.lastLine !== undefined) {
      const last = parseHead(ends.lastLine);
      if (!last) throw new Error(`the last line of ${path} is not an audit record; move the file aside to start a new trail`);
      return { seq: last.seq, hash: last.hash };
    }
    return this.#newestRotatedHead();
  }

  /** When the active file is missing or empty: the head of its newest rotated file. */
  async #newestRotatedHead(): Promise<ChainHead | undefined> {
    const { path } = this.#options;
    let names: string[];
    try {
      names = await readdir(dirname(path));
    } catch {
      return undefined;
    }
    const rotated = names.map((name) => ({ name, seq: rotatedFirstSeq(path, name) })).filter((entry) => entry.seq !== undefined);
    if (rotated.length === 0) return undefined;
    const newest = rotated.reduce((a, b) => (b.seq! > a.seq! ? b : a));
    const ends = await readFileEnds(join(dirname(path), newest.name));
    const last = ends?.lastLine === undefined ? undefined : parseHead(ends.lastLine);
    if (!last) throw new Error(`the last line of ${newest.name} is not an audit record; cannot continue the chain`);
    return { seq: last.seq, hash: last.hash };
  }

  /** Creates, locks and opens the file; cuts off an incomplete last line an abrupt stop left. */
  async #ensureOpen(): Promise<void> {
    if (this.#handle) return;
    const { path } = this.#options;
    await mkdir(dirname(path), { recursive: true });
    this.#releaseLock ??= await acquireLock(path);
    const ends = await readFileEnds(path);
    if (ends && ends.size > ends.completeSize) {
      await truncate(path, ends.completeSize);
      this.#log.warn({ file: path, bytes: ends.size - ends.completeSize }, 'cut an incomplete record off the end of the audit file (left by an abrupt stop)');
    }
    this.#handle = await open(path, 'a');
    this.#size = ends?.completeSize ?? 0;
    const first = ends?.firstLine === undefined ? undefined : parseHead(ends.firstLine);
    this.#first = first === undefined ? undefined : { seq: first.seq, ts: first.ts };
    if (!ends) await syncDirectory(dirname(path));
  }

  async #closeHandle(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close().catch(() => undefined);
  }

  #schedule(): void {
    if (this.#draining) return;
    // After this turn of the event loop: the records the other sessions write meanwhile go in the same write (and fsync).
    this.#draining = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#drain()).finally(() => {
      this.#draining = undefined;
      if (this.#queue.length > 0 && !this.#closing) this.#schedule();
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = takeBatch(this.#queue);
      const bytes = Buffer.from(batch.map((sealed) => sealed.line).join(''));
      try {
        await this.#ensureOpen();
        await this.#rotateIfDue(bytes.length);
        await this.#append(bytes);
        this.#first ??= { seq: batch[0]!.record.seq, ts: new Date(batch[0]!.record.ts) };
        this.#queue.splice(0, batch.length);
        this.#written += batch.length;
        this.#writtenSeq = batch[batch.length - 1]!.record.seq;
        this.#recovered();
        if (this.#options.fsync === 'record') await this.#sync(this.#writtenSeq);
      } catch (error) {
        this.#fail(error);
        await this.#closeHandle();
        if (this.#closing) return;
        await this.#alarm.sleep(this.#backoff.next());
      }
    }
  }

  /** Appends bytes; a write that fails part-way is cut off again so no torn record stays in the file. */
  async #append(bytes: Buffer): Promise<void> {
    const handle = this.#handle!;
    const before = this.#size;
    let offset = 0;
    try {
      while (offset < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
        offset += bytesWritten;
      }
    } catch (error) {
      if (offset > 0) await handle.truncate(before).catch(() => undefined);
      throw error;
    }
    this.#size += bytes.length;
  }

  async #rotateIfDue(incoming: number): Promise<void> {
    const { rotateBytes, rotateAgeMs, path } = this.#options;
    if (this.#size === 0 || !this.#first) return;
    const bySize = rotateBytes !== undefined && this.#size + incoming > rotateBytes;
    const byAge = rotateAgeMs !== undefined && Date.now() - this.#first.ts.getTime() >= rotateAgeMs;
    if (!bySize && !byAge) return;
    await this.#sync(this.#writtenSeq);
    await this.#closeHandle();
    const target = rotatedName(path, this.#first.ts, this.#first.seq);
    await rename(path, target);
    this.#first = undefined;
    this.#size = 0;
    await syncDirectory(dirname(path));
    this.#log.info({ file: path, rotated: basename(target) }, 'audit file rotated');
    await this.#ensureOpen();
  }

  async #sync(upTo: number): Promise<void> {
    await this.#handle!.datasync();
    this.#markDurable(upTo);
  }

  /** Interval mode (and close): fsync what has been written so far. */
  async #syncNow(): Promise<void> {
    const upTo = this.#writtenSeq;
    const handle = this.#handle;
    if (upTo <= this.#durableSeq || !handle) return;
    try {
      await handle.datasync();
      this.#markDurable(upTo);
    } catch (error) {
      // A rotation or a reopen closed this descriptor meanwhile; the new one is synced by its writer.
      if (handle === this.#handle) this.#fail(error);
    }
  }

  #markDurable(seq: number): void {
    if (seq <= this.#durableSeq) return;
    this.#durableSeq = seq;
    this.#log.debug({ sink: this.description, seq }, 'audit records durable');
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const waiter = this.#waiters[i]!;
      if (waiter.seq <= seq) {
        this.#waiters.splice(i, 1);
        waiter.resolve(true);
      }
    }
  }

  #fail(error: unknown): void {
    const reason = (error as Error).message;
    if (this.#failure === undefined) this.#log.error({ sink: this.description, error: reason, pending: this.#queue.length }, 'audit sink cannot write');
    this.#failure = reason;
  }

  #recovered(): void {
    this.#backoff.reset();
    if (this.#failure === undefined) return;
    this.#failure = undefined;
    this.#log.info({ sink: this.description }, 'audit sink writing again');
  }
}

function takeBatch(queue: readonly SealedRecord[]): SealedRecord[] {
  let bytes = 0;
  let count = 0;
  while (count < queue.length && (count === 0 || bytes + queue[count]!.line.length <= MAX_BATCH_BYTES)) {
    bytes += queue[count]!.line.length;
    count++;
  }
  return queue.slice(0, count);
}

function parseHead(line: string): { seq: number; hash: string; ts: Date } | undefined {
  try {
    const record = JSON.parse(line) as { seq?: unknown; hash?: unknown; ts?: unknown };
    if (typeof record.seq !== 'number' || typeof record.hash !== 'string' || !/^[0-9a-f]{64}$/.test(record.hash)) return undefined;
    const ts = new Date(typeof record.ts === 'string' ? record.ts : Date.now());
    return { seq: record.seq, hash: record.hash, ts: Number.isNaN(ts.getTime()) ? new Date() : ts };
  } catch {
    return undefined;
  }
}

/** Makes a file's creation or rename durable: fsync of its directory. */
async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}
