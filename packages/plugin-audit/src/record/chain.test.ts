// The hash chain: numbering, linking, and the hash formula.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';
import { Chain, GENESIS, recordHash } from './chain.js';

const at = new Date('2025-11-23T05:48:00.000Z');

describe('Chain', () => {
  it('numbers records from 1 and links each to the hash of the one before', () => {
    const chain = new Chain(undefined, () => at);
    const first = chain.append({ event: 'connect', session: 's-1' });
    const second = chain.append({ event: 'disconnect', session: 's-1' });
    expect(first.record).toMatchObject({ v: 1, seq: 1, prev: GENESIS, ts: at.toISOString() });
    expect(second.record).toMatchObject({ seq: 2, prev: first.record.hash });
    expect(chain.head).toEqual({ seq: 2, hash: second.record.hash });
  });

  it('stamps each record with the time it was appended, also when the clock moves between records', () => {
    let now = at;
    const chain = new Chain(undefined, () => now);
    const first = chain.append({ event: 'connect', session: 's-1' });
    const sameMs = chain.append({ event: 'connect', session: 's-2' });
    now = new Date(at.getTime() + 1);
    const later = chain.append({ event: 'connect', session: 's-3' });
    expect([first.record.ts, sameMs.record.ts, later.record.ts]).toEqual([at.toISOString(), at.toISOString(), '2025-11-23T05:48:00.001Z']);
  });

  it('hashes prev followed by the canonical JSON of the record without its hash', () => {
    const { record, line } = new Chain(undefined, () => at).append({ event: 'connect', session: 's-1' });
    const { hash, ...rest } = record;
    expect(hash).toBe(createHash('sha256').update(GENESIS + canonicalJson(rest)).digest('hex'));
    expect(recordHash(record)).toBe(hash);
    expect(line).toBe(`${canonicalJson(record)}\n`);
  });

  it('writes the same line and hash as serializing the whole record, for every field a record can have', () => {
    const body = {
      event: 'query' as const,
      session: 's-1',
      identity: { sub: 'a', name: 'Ann "A" Lee', groups: ['dba', 'ünïcode'] },
      client: { addr: '127.0.0.1', port: 5432 },
      listener: 'pg',
      dialect: 'postgres',
      environment: undefined,
      statement: { sql: "select '\u2028'", fingerprint: 'ab', tables: [{ name: 't', access: 'read' as const }] },
      decision: { action: 'allow' as const },
      result: { rows: 1, bytes: 12, duration_ms: 0.5 },
      masked: { 't.email': { type: 'email', count: 1 } },
    };
    const { record, line } = new Chain(undefined, () => at).append(body);
    expect(line).toBe(`${canonicalJson(record)}\n`);
    expect(recordHash(record)).toBe(record.hash);
  });

  it('writes the same line and hash for a key records do not have today', () => {
    const chain = new Chain(undefined, () => at);
    const { record, line } = chain.append({ event: 'checkpoint' }, (unhashed) => ({ ...unhashed, zz_extra: { b: 1, a: [2] }, aa_extra: 'x' }) as typeof unhashed);
    expect(line).toBe(`${canonicalJson(record)}\n`);
    expect(recordHash(record)).toBe(record.hash);
  });

  it('continues from a head read back from a file', () => {
    const chain = new Chain({ seq: 41, hash: 'a'.repeat(64) }, () => at);
    expect(chain.append({ event: 'connect' }).record).toMatchObject({ seq: 42, prev: 'a'.repeat(64) });
  });
});
