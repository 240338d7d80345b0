// Reads the ends of a JSONL file without loading it: the first line, the last complete line, and a torn tail.
import { open, type FileHandle } from 'node:fs/promises';

const CHUNK = 64 * 1024;

export interface FileEnds {
  /** File size. */
  readonly size: number;
  /** Bytes up to and including the last newline; everything after it is a torn record. */
  readonly completeSize: number;
  readonly firstLine?: string;
  readonly lastLine?: string;
}

/** The ends of a file, or undefined when it does not exist. */
export async function readFileEnds(path: string): Promise<FileEnds | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const lastNewline = await findNewlineBackwards(handle, size);
    const completeSize = lastNewline + 1;
    if (completeSize === 0) return { size, completeSize };
    const previousNewline = await findNewlineBackwards(handle, lastNewline);
    const lastLine = (await readRange(handle, previousNewline + 1, lastNewline)).toString('utf8');
    const firstNewline = await findNewlineForwards(handle, 0, completeSize);
    const firstLine = (await readRange(handle, 0, firstNewline)).toString('utf8');
    return { size, completeSize, firstLine, lastLine };
  } finally {
    await handle.close();
  }
}

/** Position of the last "\n" before `end`, or -1. */
async function findNewlineBackwards(handle: FileHandle, end: number): Promise<number> {
  let position = end;
  const buffer = Buffer.alloc(CHUNK);
  while (position > 0) {
    const start = Math.max(0, position - CHUNK);
    const { bytesRead } = await handle.read(buffer, 0, position - start, start);
    const index = buffer.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (index !== -1) return start + index;
    position = start;
  }
  return -1;
}

async function findNewlineForwards(handle: FileHandle, start: number, end: number): Promise<number> {
  let position = start;
  const buffer = Buffer.alloc(CHUNK);
  while (position < end) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK, end - position), position);
    if (bytesRead === 0) break;
    const index = buffer.subarray(0, bytesRead).indexOf(0x0a);
    if (index !== -1) return position + index;
    position += bytesRead;
  }
  return end;
}

async function readRange(handle: FileHandle, start: number, end: number): Promise<Buffer> {
  const buffer = Buffer.alloc(end - start);
  let offset = 0;
  while (offset < buffer.length) {
    const { bytesRead } = await handle.read(buffer, offset, buffer.length - offset, start + offset);
    if (bytesRead === 0) break;
    offset += bytesRead;
  }
  return buffer.subarray(0, offset);
}
