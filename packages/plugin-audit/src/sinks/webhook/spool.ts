// A disk spool: records wait here in order, across restarts, until the endpoint confirms them.
//
// Layout: numbered segment files (`0000000001.jsonl`, …) written append-only, and `cursor.json`
// naming the segment and byte offset of the first record not yet delivered. A segment is deleted
// once delivery has passed its end. Delivery is at-least-once: a crash between a delivery and the
// cursor update sends that batch again.
import { mkdir, open, readdir, readFile, rename, rm, stat, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { delay } from '../backoff.js';
import { readFileEnds } from '../file/file-tail.js';

const SEGMENT_BYTES = 1 << 20;
const SEGMENT_NAME = /^(\d{10})\.jsonl$/;

interface Segment {
  readonly index: number;
  size: number;
}

export interface SpoolBatch {
  readonly lines: readonly string[];
  readonly bytes: number;
}

export class Spool {
  readonly dir: string;
  readonly #maxBytes: number;
  readonly #onWritten: () => void;
  readonly #segments: Segment[];
  #cursor: { segment: number; offset: number };
  /** Lines accepted but not yet on disk. */
  #unwritten: string[] = [];
  #unwrittenBytes = 0;
  #pendingRecords: number;
  #handle: FileHandle | undefined;
  #writing: Promise<void> | undefined;
  #failure: string | undefined;
  #refused = false;

  private constructor(dir: string, maxBytes: number, segments: Segment[], cursor: { segment: number; offset: number }, pendingRecords: number, onWritten: () => void) {
    this.dir = dir;
    this.#maxBytes = maxBytes;
    this.#segments = segments;
    this.#cursor = cursor;
    this.#pendingRecords = pendingRecords;
    this.#onWritten = onWritten;
  }

  /** Reads what a previous run left in `dir`; creates nothing until the first line is written. */
  static async open(dir: string, maxBytes: number, onWritten: () => void): Promise<Spool> {
    const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw error;
    });
    const indexes = names
      .map((name) => SEGMENT_NAME.exec(name)?.[1])
      .filter((index): index is string => index !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const cursor = await readCursor(dir, indexes[0] ?? 1);
    const segments: Segment[] = [];
    for (const index of indexes) {
      const path = segmentPath(dir, index);
      if (index < cursor.segment) {
        await rm(path, { force: true });
        continue;
      }
      const ends = await readFileEnds(path);
      // Only the last segment can end in a torn line (an abrupt stop while appending).
      if (ends && ends.size > ends.completeSize) await truncate(path, ends.completeSize);
      segments.push({ index, size: ends?.completeSize ?? (await stat(path)).size });
    }
    if (segments.length === 0) segments.push({ index: cursor.segment, size: 0 });
    const pending = await countPendingRecords(dir, segments, cursor);
    return new Spool(dir, maxBytes, segments, cursor, pending, onWritten);
  }

  /** Bytes accepted and not yet delivered. */
  pendingBytes(): number {
    let bytes = this.#unwrittenBytes - this.#cursor.offset;
    for (const segment of this.#segments) if (segment.index >= this.#cursor.segment) bytes += segment.size;
    return bytes;
  }

  pendingRecords(): number {
    return this.#pendingRecords;
  }

  /** Why lines cannot be written to disk right now. */
  failure(): string | undefined {
    return this.#failure;
  }

  /** Full: a line was refused since the last delivery made room. */
  full(): boolean {
    return this.#refused || this.pendingBytes() >= this.#maxBytes;
  }

  /** Takes a line (ending in "\n"); false when the spool is full and the line was not taken. */
  append(line: string): boolean {
    if (this.pendingBytes() + Buffer.byteLength(line) > this.#maxBytes) {
      this.#refused = true;
      return false;
    }
    this.#unwritten.push(line);
    this.#unwrittenBytes += Buffer.byteLength(line);
    this.#pendingRecords++;
    this.#writing ??= this.#write().finally(() => {
      this.#writing = undefined;
    });
    return true;
  }

  /** Up to `max` lines from the cursor that are on disk, oldest first. */
  async peek(max: number, maxBytes = 4 << 20): Promise<SpoolBatch | undefined> {
    for (;;) {
      const segment = this.#segments.find((s) => s.index === this.#cursor.segment);
      if (!segment) return undefined;
      const available = segment.size - this.#cursor.offset;
      if (available > 0) return this.#readLines(segment.index, Math.min(available, maxBytes), max);
      const next = this.#segments.find((s) => s.index > segment.index);
      if (!next) return undefined;
      await this.#advanceTo({ segment: next.index, offset: 0 });
    }
  }

  /** Marks a batch delivered: moves the cursor past it and deletes finished segments. */
  async remove(batch: SpoolBatch): Promise<void> {
    await this.#advanceTo({ segment: this.#cursor.segment, offset: this.#cursor.offset + batch.bytes });
    this.#pendingRecords -= batch.lines.length;
    this.#refused = false;
  }

  async close(): Promise<void> {
    while (this.#writing) await this.#writing;
    await this.#handle?.close().catch(() => undefined);
    this.#handle = undefined;
  }

  async #readLines(index: number, length: number, max: number): Promise<SpoolBatch> {
    const handle = await open(segmentPath(this.dir, index), 'r');
    try {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, this.#cursor.offset);
      const lines: string[] = [];
      let bytes = 0;
      let start = 0;
      while (lines.length < max) {
        const newline = buffer.indexOf(0x0a, start);
        if (newline === -1 || newline >= bytesRead) break;
        lines.push(buffer.subarray(start, newline).toString('utf8'));
        bytes += newline + 1 - start;
        start = newline + 1;
      }
      if (lines.length === 0 && bytesRead > 0) {
        // A single line longer than maxBytes: read it whole.
        const whole = await handle.read(Buffer.alloc(this.#segments.find((s) => s.index === index)!.size - this.#cursor.offset), 0, undefined, this.#cursor.offset);
        const text = whole.buffer.subarray(0, whole.bytesRead);
        const newline = text.indexOf(0x0a);
        return { lines: [text.subarray(0, newline).toString('utf8')], bytes: newline + 1 };
      }
      return { lines, bytes };
    } finally {
      await handle.close();
    }
  }

  /** Moves the cursor (past any finished segment), saves it, then deletes the segments behind it. */
  async #advanceTo(target: { segment: number; offset: number }): Promise<void> {
    let cursor = target;
    for (;;) {
      const segment = this.#segments.find((s) => s.index === cursor.segment);
      const later = this.#segments.find((s) => s.index > cursor.segment);
      if (!segment || !later || cursor.offset < segment.size) break;
      cursor = { segment: later.index, offset: 0 };
    }
    const tmp = join(this.dir, 'cursor.json.tmp');
    await writeWhole(tmp, JSON.stringify(cursor));
    await rename(tmp, join(this.dir, 'cursor.json'));
    this.#cursor = cursor;
    while (this.#segments[0] !== undefined && this.#segments[0].index < cursor.segment) {
      const finished = this.#segments.shift()!;
      await rm(segmentPath(this.dir, finished.index), { force: true });
    }
  }

  async #write(): Promise<void> {
    while (this.#unwritten.length > 0) {
      const lines = this.#unwritten.slice();
      const bytes = Buffer.from(lines.join(''));
      try {
        let segment = this.#segments[this.#segments.length - 1]!;
        if (segment.size >= SEGMENT_BYTES) {
          await this.#handle?.close();
          this.#handle = undefined;
          segment = { index: segment.index + 1, size: 0 };
          this.#segments.push(segment);
        }
        if (!this.#handle) {
          await mkdir(this.dir, { recursive: true });
          this.#handle = await open(segmentPath(this.dir, segment.index), 'a');
        }
        let offset = 0;
        while (offset < bytes.length) offset += (await this.#handle.write(bytes, offset)).bytesWritten;
        segment.size += bytes.length;
        this.#unwritten.splice(0, lines.length);
        this.#unwrittenBytes -= bytes.length;
        this.#failure = undefined;
        this.#onWritten();
      } catch (error) {
        this.#failure = `the spool cannot be written: ${(error as Error).message}`;
        await this.#handle?.close().catch(() => undefined);
        this.#handle = undefined;
        await delay(1_000);
      }
    }
  }
}

function segmentPath(dir: string, index: number): string {
  return join(dir, `${String(index).padStart(10, '0')}.jsonl`);
}

async function readCursor(dir: string, firstSegment: number): Promise<{ segment: number; offset: number }> {
  try {
    const cursor = JSON.parse(await readFile(join(dir, 'cursor.json'), 'utf8')) as { segment?: unknown; offset?: unknown };
    if (Number.isInteger(cursor.segment) && Number.isInteger(cursor.offset)) return { segment: cursor.segment as number, offset: cursor.offset as number };
  } catch {
    // No cursor yet: start at the first segment.
  }
  return { segment: firstSegment, offset: 0 };
}

async function countPendingRecords(dir: string, segments: readonly Segment[], cursor: { segment: number; offset: number }): Promise<number> {
  let count = 0;
  for (const segment of segments) {
    if (segment.size === 0) continue;
    const text = await readFile(segmentPath(dir, segment.index));
    const from = segment.index === cursor.segment ? cursor.offset : 0;
    for (let i = from; i < segment.size; i++) if (text[i] === 0x0a) count++;
  }
  return count;
}

async function writeWhole(path: string, text: string): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
