// The hash chain: numbers records, links each to the one before, and computes its hash.
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

  constructor(head: ChainHead = { seq: 0, hash: GENESIS }, now: () => Date = () => new Date()) {
    this.#seq = head.seq;
    this.#prev = head.hash;
    this.#now = now;
  }

  get head(): ChainHead {
    return { seq: this.#seq, hash: this.#prev };
  }

  /**
   * Numbers and hashes a record. `complete` may add fields that depend on seq/prev (a checkpoint's
   * signature) before the hash is taken.
   */
  append(body: RecordBody, complete?: (unhashed: Omit<AuditRecord, 'hash'>) => Omit<AuditRecord, 'hash'>): SealedRecord {
    let unhashed: Omit<AuditRecord, 'hash'> = { v: RECORD_VERSION, ts: this.#now().toISOString(), seq: this.#seq + 1, ...body, prev: this.#prev };
    if (complete) unhashed = complete(unhashed);
    const record: AuditRecord = { ...unhashed, hash: recordHash(unhashed) };
    this.#seq = record.seq;
    this.#prev = record.hash;
    return { record, line: `${canonicalJson(record)}\n` };
  }
}
