// Reads audit files line by line for tail and search, skipping what is not a record (a torn last line).
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { AuditRecord } from '../record/types.js';

export interface ReadRecord {
  readonly record: AuditRecord;
  /** The line as written, for --json. */
  readonly line: string;
  /** 1-based line number in the file (set when read from a file). */
  readonly lineNumber?: number;
}

export async function* readRecords(path: string, start = 0): AsyncGenerator<ReadRecord> {
  const lines = createInterface({ input: createReadStream(path, { start, encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    const record = parseLine(line);
    if (record) yield { record, line, lineNumber };
  }
}

export function parseLine(line: string): AuditRecord | undefined {
  if (line.trim() === '') return undefined;
  try {
    const value = JSON.parse(line) as AuditRecord;
    return value !== null && typeof value === 'object' && typeof value.seq === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}
