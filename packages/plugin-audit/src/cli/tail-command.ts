// `sluice audit tail [-n N] [--follow] FILE`: the last records of a trail file, then (with --follow) new ones as they come.
import { open, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { FILTER_OPTIONS, filtersFrom, matches, UsageError, type RecordFilters } from './filters.js';
import type { CliOutput } from './output.js';
import { parseLine, readRecords, type ReadRecord } from './read-records.js';
import { FILTER_USAGE } from './search-command.js';
import { tableHeader, tableRow } from './table.js';

export const TAIL_USAGE = `sluice audit tail [-n N] [--follow] [filters] [--json] FILE
  -n N        how many of the last matching records (default 10)
  --follow    keep printing records as they are written, across rotations, until interrupted
${FILTER_USAGE}`;

const POLL_MS = 250;

export async function tailCommand(args: string[], output: CliOutput, stop: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...FILTER_OPTIONS, json: { type: 'boolean' }, follow: { type: 'boolean', short: 'f' }, lines: { type: 'string', short: 'n' } },
  });
  if (positionals.length !== 1) throw new UsageError('tail needs exactly one FILE');
  const count = values.lines === undefined ? 10 : Number(values.lines);
  if (!Number.isInteger(count) || count < 0) throw new UsageError('-n needs a whole number');
  const file = positionals[0]!;
  const filters = filtersFrom(values);
  const print = (entry: ReadRecord) => output.out(`${values.json ? entry.line : tableRow(entry.record, output.columns)}\n`);

  let size: number;
  let inode: number;
  try {
    ({ size, ino: inode } = await stat(file));
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const last: ReadRecord[] = [];
  for await (const entry of readRecords(file)) {
    if (!matches(entry.record, filters)) continue;
    last.push(entry);
    if (last.length > count) last.shift();
  }
  if (!values.json) output.out(`${tableHeader(output.columns)}\n`);
  for (const entry of last) print(entry);
  if (!values.follow) return 0;
  await follow(file, { size, inode }, filters, print, stop);
  return 0;
}

/** Polls the file for appended lines; a rotation (new inode) or truncation starts over at the new file's beginning. */
async function follow(file: string, from: { size: number; inode: number }, filters: RecordFilters, print: (entry: ReadRecord) => void, stop: AbortSignal): Promise<void> {
  let position = await completeLinesEnd(file, from.size);
  let inode = from.inode;
  let partial = '';
  while (!stop.aborted) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, POLL_MS);
      stop.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
    if (stop.aborted) break;
    const current = await stat(file).catch(() => undefined);
    if (!current) continue;
    if (current.ino !== inode || current.size < position) {
      inode = current.ino;
      position = 0;
      partial = '';
    }
    if (current.size <= position) continue;
    const handle = await open(file, 'r');
    try {
      const buffer = Buffer.alloc(current.size - position);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      position += bytesRead;
      const text = partial + buffer.subarray(0, bytesRead).toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        const record = parseLine(line);
        if (record && matches(record, filters)) print({ record, line });
      }
    } finally {
      await handle.close();
    }
  }
}

/** The offset just after the last newline before `size`: following starts at a record boundary. */
async function completeLinesEnd(file: string, size: number): Promise<number> {
  const handle = await open(file, 'r');
  try {
    const window = Math.min(size, 1 << 20);
    const buffer = Buffer.alloc(window);
    await handle.read(buffer, 0, window, size - window);
    const newline = buffer.lastIndexOf(0x0a);
    return newline === -1 ? size - window : size - window + newline + 1;
  } finally {
    await handle.close();
  }
}
