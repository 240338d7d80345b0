// The hash chain: numbers records, links each to the one before, and computes its hash.
import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import { RECORD_VERSION, type AuditRecord, type RecordBody, type SealedRecord } from './types.js';

/** `prev` of the first record of a trail. */
export const GENESIS = '0'.repeat(64);

/** hash = sha256(prev + canonical JSON of the record without `hash`), hex. */
export function recordHash(record: Omit<AuditRecord, 'hash'> & { hash?: string }): string {
  const { hash: _ignored, ...rest } = record;
  return createHash('sha256').update(record.prev).update(canonicalJson(rest)).digest('hex');
}

export interface ChainHead {
  /** Sequence number of the last record, 0 before the first. */
  readonly seq: number;
  /** Hash of the last record, GENESIS before the first. */
  readonly hash: string;
}

export class Chain {
  #seq: number;
  #prev: string;
  readonly #now: () => Date;
  #lastMs = Number.NaN;
  #lastTs = '';

  constructor(head: ChainHead = { seq: 0, hash: GENESIS }, now: () => Date = () => new Date()) {
    this.#seq = head.seq;
    this.#prev = head.hash;
    this.#now = now;
  }

  /** The time as ISO text; formatted once per millisecond, as records often share one. */
  #timestamp(): string {
    const ms = this.#now().getTime();
    if (ms !== this.#lastMs) {
      this.#lastMs = ms;
      this.#lastTs = new Date(ms).toISOString();
    }
    return this.#lastTs;
  }

  get head(): ChainHead {
    return { seq: this.#seq, hash: this.#prev };
  }

  /**
   * Numbers and hashes a record. `complete` may add fields that depend on seq/prev (a checkpoint's
   * signature) before the hash is taken.
   */
  append(body: RecordBody, complete?: (unhashed: Omit<AuditRecord, 'hash'>) => Omit<AuditRecord, 'hash'>): SealedRecord {
    let unhashed: Omit<AuditRecord, 'hash'> = { v: RECORD_VERSION, ts: this.#timestamp(), seq: this.#seq + 1, ...body, prev: this.#prev };
    if (complete) unhashed = complete(unhashed);
    const { hash, line } = seal(unhashed);
    // `unhashed` is this method's own object (or the one `complete` made): it becomes the record.
    const record = Object.assign(unhashed, { hash }) as AuditRecord;
    this.#seq = record.seq;
    this.#prev = hash;
    return { record, line };
  }
}

/**
 * The hash and the file line of a record, serializing its members once: the line is the hashed
 * canonical text with the `hash` member put in its sorted place (as canonicalJson(record) would).
 */
function seal(unhashed: Omit<AuditRecord, 'hash'>): { hash: string; line: string } {
  // Members that sort before "hash", and after it. The record's own keys are visited in their
  // sorted order without sorting; any other key (none today) takes the general path.
  const record = unhashed as Record<string, unknown>;
  let before = '';
  let after = '';
  let seen = 0;
  for (const { key, quoted } of RECORD_KEYS) {
    const value = record[key];
    if (value === undefined) {
      if (key in record) seen++;
      continue;
    }
    seen++;
    const member = quoted + canonicalJson(value);
    if (key < 'hash') before = before === '' ? member : `${before},${member}`;
    else after = after === '' ? member : `${after},${member}`;
  }
  if (seen !== Object.keys(record).length) return sealAnyKeys(record);
  return finish(unhashed.prev, before, after);
}

/** Every key a record may have, sorted, with its quoted form. */
const RECORD_KEYS = [
  'checkpoint', 'client', 'database', 'decision', 'dialect', 'environment', 'event', 'identity', 'listener', 'masked',
  'prev', 'result', 'seq', 'session', 'statement', 'ts', 'upstream_user', 'v',
]
  .sort()
  .map((key) => ({ key, quoted: `${JSON.stringify(key)}:` }));

function sealAnyKeys(record: Record<string, unknown>): { hash: string; line: string } {
  let before = '';
  let after = '';
  for (const key of Object.keys(record).sort()) {
    const value = record[key];
    if (value === undefined || key === 'hash') continue;
    const member = `${JSON.stringify(key)}:${canonicalJson(value)}`;
    if (key < 'hash') before = before === '' ? member : `${before},${member}`;
    else after = after === '' ? member : `${after},${member}`;
  }
  return finish(String(record.prev), before, after);
}

function finish(prev: string, before: string, after: string): { hash: string; line: string } {
  const canonical = before === '' || after === '' ? `{${before}${after}}` : `{${before},${after}}`;
  const hash = sha256Hex(prev + canonical);
  const sealed = `"hash":"${hash}"`;
  const line = `{${before === '' ? '' : `${before},`}${sealed}${after === '' ? '' : `,${after}`}}\n`;
  return { hash, line };
}

const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

function sha256Hex(text: string): string {
  return oneShotHash ? oneShotHash('sha256', text, 'hex') : createHash('sha256').update(text).digest('hex');
}
