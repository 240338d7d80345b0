// Checks a trail (one file or its rotated files, in any order): the hash chain, the checkpoint signatures, and the seal.
import type { KeyObject } from 'node:crypto';
import { keyId } from '../checkpoint/keys.js';
import { checkpointSignatureValid } from '../checkpoint/signature.js';
import { GENESIS, recordHash } from '../record/chain.js';
import type { AuditRecord } from '../record/types.js';

export interface TrailFile {
  readonly name: string;
  readonly text: string;
}

export type ProblemKind = 'invalid' | 'altered' | 'removed' | 'inserted' | 'reordered' | 'start' | 'signature' | 'truncated';

export interface Problem {
  readonly kind: ProblemKind;
  readonly file: string;
  /** 1-based line number in `file`. */
  readonly line: number;
  readonly seq?: number;
  readonly message: string;
}

export interface VerifyOptions {
  /** Checks checkpoint signatures with this key; without it they are not checked. */
  readonly publicKey?: KeyObject;
  /** Accept a trail that starts after seq 1 (its earlier files are elsewhere). */
  readonly partial?: boolean;
  /** Fail unless the trail ends with the closing checkpoint Sluice writes at a clean stop. */
  readonly requireSeal?: boolean;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly problem?: Problem;
  /** Records checked before the first problem (all of them when ok). */
  readonly records: number;
  readonly firstSeq?: number;
  readonly lastSeq?: number;
  /** Files in chain order. */
  readonly files: readonly string[];
  readonly checkpoints: number;
  /** The last checkpoint whose signature was checked and valid. */
  readonly lastSigned?: { readonly seq: number; readonly ts: string };
  /** Records after the last valid signature (or after the last checkpoint when signatures were not checked). */
  readonly unsigned: number;
  /** The trail ends with a closing checkpoint. */
  readonly sealed: boolean;
  /** An incomplete last line: an abrupt stop mid-write; not a record, not an error. */
  readonly tornTail?: { readonly file: string; readonly bytes: number };
  readonly notes: readonly string[];
}

interface Entry {
  readonly file: string;
  readonly line: number;
  readonly record?: AuditRecord;
  readonly raw: string;
}

export function verifyTrail(files: readonly TrailFile[], options: VerifyOptions = {}): VerifyReport {
  const notes: string[] = [];
  const parsed = files.map(parseFile).filter((file) => file.entries.length > 0 || file.torn !== undefined);
  parsed.sort((a, b) => firstSeqOf(a.entries) - firstSeqOf(b.entries));
  const entries = parsed.flatMap((file) => file.entries);
  const order = parsed.map((file) => file.name);

  let tornTail: VerifyReport['tornTail'];
  for (const [index, file] of parsed.entries()) {
    if (file.torn === undefined) continue;
    if (index === parsed.length - 1) {
      tornTail = { file: file.name, bytes: file.torn.bytes };
    } else {
      return fail({ kind: 'truncated', file: file.name, line: file.torn.line, message: 'ends in an incomplete record, yet a later file continues the trail: this file was cut short' });
    }
  }

  const hashes = new Map<string, number>();
  for (const [index, entry] of entries.entries()) if (entry.record && !hashes.has(entry.record.hash)) hashes.set(entry.record.hash, index);
  const prevs = new Set(entries.flatMap((entry) => (entry.record ? [entry.record.prev] : [])));

  let checkpoints = 0;
  let lastSigned: VerifyReport['lastSigned'];
  let unsigned = 0;
  let checked = 0;
  let previous: AuditRecord | undefined;
  const expectedKey = options.publicKey ? keyId(options.publicKey) : undefined;

  function fail(problem: Problem): VerifyReport {
    return {
      ok: false,
      problem,
      records: checked,
      ...(entries[0]?.record ? { firstSeq: entries[0].record.seq } : {}),
      ...(previous ? { lastSeq: previous.seq } : {}),
      files: order,
      checkpoints,
      ...(lastSigned ? { lastSigned } : {}),
      unsigned,
      sealed: false,
      ...(tornTail ? { tornTail } : {}),
      notes,
    };
  }

  for (const [index, entry] of entries.entries()) {
    const at = { file: entry.file, line: entry.line };
    const record = entry.record;
    if (!record) return fail({ ...at, kind: 'invalid', message: 'is not a complete audit record: it was altered or cut short' });
    const seqText = `seq ${record.seq}`;
    const ownHashValid = safeHash(record) === record.hash;

    if (previous === undefined) {
      if ((record.seq !== 1 || record.prev !== GENESIS) && !options.partial) {
        return fail({
          ...at,
          kind: 'start',
          seq: record.seq,
          message: `the trail starts at ${seqText}, not at seq 1: records before it were removed, or its earlier rotated files were not given (give them all, or --partial to check from here)`,
        });
      }
      if (record.seq !== 1) notes.push(`checked from ${seqText} on (--partial): what came before is not covered`);
    } else if (record.prev !== previous.hash || record.seq !== previous.seq + 1) {
      return fail(diagnoseBreak(entries, index, previous, ownHashValid, hashes, prevs));
    }
    if (!ownHashValid) return fail({ ...at, kind: 'altered', seq: record.seq, message: `${seqText} was altered: its hash does not match its content` });

    if (record.event === 'checkpoint') {
      checkpoints++;
      if (options.publicKey) {
        if (record.checkpoint?.key_id !== expectedKey) {
          return fail({ ...at, kind: 'signature', seq: record.seq, message: `checkpoint ${seqText} was signed by key ${record.checkpoint?.key_id ?? '(none)'}, not by the given public key (${expectedKey})` });
        }
        if (!checkpointSignatureValid(record, options.publicKey)) {
          const since = lastSigned ? `after the checkpoint at seq ${lastSigned.seq}` : 'before it';
          return fail({ ...at, kind: 'signature', seq: record.seq, message: `checkpoint ${seqText} has no valid signature: records ${since} were rewritten after it was signed` });
        }
        lastSigned = { seq: record.seq, ts: record.ts };
        unsigned = 0;
      } else {
        unsigned = 0;
      }
    } else {
      unsigned++;
    }
    previous = record;
    checked++;
  }

  const sealed = previous?.event === 'checkpoint' && previous.checkpoint?.reason === 'close';
  if (checkpoints > 0 && !options.publicKey) notes.push(`${checkpoints} checkpoint signature(s) not checked: pass --public-key`);
  if (previous && !sealed) {
    const since = lastSigned ? `the last signed checkpoint (seq ${lastSigned.seq}, ${lastSigned.ts})` : checkpoints > 0 ? 'the last checkpoint' : 'the start (no checkpoints)';
    notes.push(
      `not sealed: the trail does not end with the closing checkpoint; ${unsigned} record(s) after ${since} carry no signature — Sluice is still writing, stopped abruptly, or the tail was cut off`,
    );
    if (options.requireSeal) {
      const last = entries[entries.length - 1]!;
      return fail({ file: last.file, line: last.line, kind: 'truncated', seq: previous.seq, message: `the trail ends at seq ${previous.seq} without its closing checkpoint: records after it may have been removed` });
    }
  }
  return {
    ok: true,
    records: checked,
    ...(entries[0]?.record ? { firstSeq: entries[0].record.seq } : {}),
    ...(previous ? { lastSeq: previous.seq } : {}),
    files: order,
    checkpoints,
    ...(lastSigned ? { lastSigned } : {}),
    unsigned,
    sealed,
    ...(tornTail ? { tornTail } : {}),
    notes,
  };
}

/**
 * Explains why `entries[index]` does not follow `previous`. A record that still belongs to the
 * chain somewhere (something links to it, or it links to a later record) is out of place; one that
 * belongs nowhere was inserted; a gap no later record fills was removed.
 */
function diagnoseBreak(entries: readonly Entry[], index: number, previous: AuditRecord, ownHashValid: boolean, hashes: ReadonlyMap<string, number>, prevs: ReadonlySet<string>): Problem {
  const entry = entries[index]!;
  const record = entry.record!;
  const at = { file: entry.file, line: entry.line, seq: record.seq };
  const seqText = `seq ${record.seq}`;
  const beforePrevious = entries[index - 2]?.record;
  const next = entries[index + 1]?.record;
  const previousEntry = entries[index - 1]!;

  const firstCopy = hashes.get(record.hash);
  if (firstCopy !== undefined && firstCopy < index) {
    const original = entries[firstCopy]!;
    return { ...at, kind: 'inserted', message: `${seqText} was inserted: it is a copy of the record at ${original.file}:${original.line}` };
  }
  // The previous record chained to the one before it but this one skips it: the previous one was inserted.
  if (beforePrevious && record.prev === beforePrevious.hash && record.seq === beforePrevious.seq + 1) {
    return { file: previousEntry.file, line: previousEntry.line, seq: previous.seq, kind: 'inserted', message: `seq ${previous.seq} was inserted: the record after it continues the chain from the record before it` };
  }
  if (record.seq === previous.seq + 1) {
    if (next && next.prev === previous.hash) return { ...at, kind: 'inserted', message: `${seqText} was inserted: the record after it continues the chain from seq ${previous.seq}` };
    if (ownHashValid) {
      return {
        file: previousEntry.file,
        line: previousEntry.line,
        seq: previous.seq,
        kind: 'altered',
        message: `seq ${previous.seq} was altered: its content and hash were rewritten, so the next record's prev no longer matches it`,
      };
    }
    return { ...at, kind: 'altered', message: `${seqText} was altered: its prev and hash do not match the chain` };
  }
  const belongs = prevs.has(record.hash) || (hashes.get(record.prev) ?? -1) > index;
  if (!belongs) {
    return { ...at, kind: 'inserted', message: `${seqText} was inserted: no record of the chain links to it or from it` };
  }
  const missing = previous.seq + 1;
  const later = entries.findIndex((candidate, position) => position > index && candidate.record?.seq === missing);
  if (later !== -1) {
    const where = entries[later]!;
    return { ...at, kind: 'reordered', message: `${seqText} is out of order: seq ${missing} should come before it and is at ${where.file}:${where.line}` };
  }
  if (record.seq > missing) {
    const range = record.seq - 1 === missing ? `seq ${missing} was` : `seq ${missing} to ${record.seq - 1} were`;
    return { ...at, kind: 'removed', message: `${range} removed before ${seqText}` };
  }
  return { ...at, kind: 'reordered', message: `${seqText} is out of order: it comes after seq ${previous.seq}` };
}

function parseFile(file: TrailFile): { name: string; entries: Entry[]; torn?: { line: number; bytes: number } } {
  const lines = file.text.split('\n');
  const tail = lines.pop()!;
  const entries: Entry[] = [];
  for (const [index, raw] of lines.entries()) {
    entries.push({ file: file.name, line: index + 1, raw, ...parseRecord(raw) });
  }
  if (tail === '') return { name: file.name, entries };
  return { name: file.name, entries, torn: { line: lines.length + 1, bytes: Buffer.byteLength(tail) } };
}

function parseRecord(raw: string): { record?: AuditRecord } {
  try {
    const value = JSON.parse(raw) as Partial<AuditRecord>;
    if (value === null || typeof value !== 'object' || !Number.isSafeInteger(value.seq) || typeof value.prev !== 'string' || typeof value.hash !== 'string') return {};
    return { record: value as AuditRecord };
  } catch {
    return {};
  }
}

function safeHash(record: AuditRecord): string | undefined {
  try {
    return recordHash(record);
  } catch {
    return undefined;
  }
}

function firstSeqOf(entries: readonly Entry[]): number {
  for (const entry of entries) if (entry.record) return entry.record.seq;
  return Number.MAX_SAFE_INTEGER;
}
