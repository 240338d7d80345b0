// Newest-first, paginated search of a trail's files with the filters of `sluice audit search`.
import { basename } from 'node:path';
import { matches, type RecordFilters } from '../cli/filters.js';
import { readRecords } from '../cli/read-records.js';
import type { AuditRecord } from '../record/types.js';
import { readRecordsBackward } from './read-backward.js';
import type { TrailFileRef } from './trail-files.js';

export interface SearchPage {
  readonly records: AuditRecord[];
  /** Pass back as `cursor` for the next (older) page; absent on the last page. */
  readonly nextCursor?: string;
  readonly scannedFiles: number;
}

/** A cursor names the seq the next page starts below. */
export function encodeCursor(beforeSeq: number): string {
  return Buffer.from(`seq:${beforeSeq}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): number | undefined {
  const match = /^seq:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}

/**
 * Reads files newest first, each from its end, and stops once a page (and one more record, to know
 * there is a next page) is found: a first page costs a few chunks of the newest file.
 */
export async function searchPage(files: readonly TrailFileRef[], filters: RecordFilters, limit: number, beforeSeq?: number): Promise<SearchPage> {
  const found: AuditRecord[] = [];
  let scannedFiles = 0;
  const want = limit + 1;
  for (const file of files) {
    if (found.length >= want) break;
    // A rotated file starting at or after the cursor holds only newer records.
    if (beforeSeq !== undefined && file.firstSeq !== undefined && file.firstSeq >= beforeSeq) continue;
    scannedFiles++;
    for await (const record of readRecordsBackward(file.path)) {
      if (beforeSeq !== undefined && record.seq >= beforeSeq) continue;
      if (!matches(record, filters)) continue;
      found.push(record);
      if (found.length >= want) break;
    }
  }
  found.sort((a, b) => b.seq - a.seq);
  const page = found.slice(0, limit);
  const more = found.length > limit;
  return { records: page, ...(more && page.length > 0 ? { nextCursor: encodeCursor(page[page.length - 1]!.seq) } : {}), scannedFiles };
}

/** One record by its hash (64 hex digits) or its seq; with the base name of its file and its line. */
export async function findRecord(files: readonly TrailFileRef[], id: string): Promise<{ record: AuditRecord; file: string; line: number } | undefined> {
  const bySeq = /^\d+$/.test(id) ? Number(id) : undefined;
  const byHash = /^[0-9a-f]{64}$/i.test(id) ? id.toLowerCase() : undefined;
  if (bySeq === undefined && byHash === undefined) return undefined;
  for (const file of files) {
    if (bySeq !== undefined && file.firstSeq !== undefined && file.firstSeq > bySeq) continue;
    for await (const { record, lineNumber } of readRecords(file.path)) {
      if (bySeq !== undefined ? record.seq === bySeq : record.hash === byHash) return { record, file: basename(file.path), line: lineNumber ?? 0 };
    }
  }
  return undefined;
}

/** Calls `each` with every matching record, oldest first. */
export async function eachRecord(files: readonly TrailFileRef[], filters: RecordFilters, each: (record: AuditRecord) => void): Promise<void> {
  for (const file of [...files].reverse()) {
    for await (const { record } of readRecords(file.path)) if (matches(record, filters)) each(record);
  }
}

/** Every matching record, oldest first, for the export; at most `max` (then `truncated`). */
export async function collectRecords(files: readonly TrailFileRef[], filters: RecordFilters, max: number): Promise<{ records: AuditRecord[]; truncated: boolean }> {
  const records: AuditRecord[] = [];
  for (const file of [...files].reverse()) {
    for await (const { record } of readRecords(file.path)) {
      if (!matches(record, filters)) continue;
      if (records.length >= max) return { records: records.sort((a, b) => a.seq - b.seq), truncated: true };
      records.push(record);
    }
  }
  return { records: records.sort((a, b) => a.seq - b.seq), truncated: false };
}
