// Reads a trail file's records from its end, newest first, a chunk at a time: a first page never reads the whole file.
import { open } from 'node:fs/promises';
import { parseLine } from '../cli/read-records.js';
import type { AuditRecord } from '../record/types.js';

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

/** Records from the last line to the first; lines that are not records (a torn tail) are skipped. */
export async function* readRecordsBackward(path: string): AsyncGenerator<AuditRecord> {
  const file = await open(path, 'r');
  try {
    let position = (await file.stat()).size;
    // Bytes of the line that began before the chunk read last; a newline never occurs inside a UTF-8 sequence.
    let rest = Buffer.alloc(0);
    while (position > 0) {
      const size = Math.min(CHUNK, position);
      position -= size;
      const chunk = Buffer.alloc(size);
      await file.read(chunk, 0, size, position);
      const bytes = rest.length === 0 ? chunk : Buffer.concat([chunk, rest]);
      let end = bytes.length;
      for (let i = bytes.length - 1; i >= 0; i--) {
        if (bytes[i] !== NEWLINE) continue;
        const record = parseLine(bytes.toString('utf8', i + 1, end));
        if (record) yield record;
        end = i;
      }
      rest = bytes.subarray(0, end);
    }
    const first = parseLine(rest.toString('utf8'));
    if (first) yield first;
  } finally {
    await file.close();
  }
}
