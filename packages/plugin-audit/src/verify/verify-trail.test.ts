// verify on intact and tampered trails: edited, removed, inserted, reordered, truncated, rewritten, rotated.
import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateKeyPair, keyId, loadPrivateKey } from '../checkpoint/keys.js';
import { signCheckpoint } from '../checkpoint/signature.js';
import { canonicalJson } from '../record/canonical-json.js';
import { Chain, recordHash } from '../record/chain.js';
import type { AuditRecord } from '../record/types.js';
import { verifyTrail } from './verify-trail.js';

const { privatePem } = generateKeyPair();
const privateKey = loadPrivateKey(privatePem);
const publicKey = createPublicKey(privateKey);
const keyIdOfTestKey = keyId(publicKey);

/** Lines of a trail of `count` query records, a signed checkpoint every `every`, sealed when asked. */
function trail(count: number, { every = 0, seal = false } = {}): string[] {
  const chain = new Chain(undefined, () => new Date('2025-11-23T05:48:00.000Z'));
  const lines: string[] = [];
  const checkpoint = (reason: 'records' | 'close') =>
    lines.push(chain.append({ event: 'checkpoint', checkpoint: { reason, key_id: 'ignored' } }, (record) => signCheckpoint(fixKeyId(record), privateKey)).line);
  for (let i = 1; i <= count; i++) {
    lines.push(chain.append({ event: 'query', session: 's-1', statement: { sql: `select ${i}`, fingerprint: '0'.repeat(16) } }).line);
    if (every > 0 && i % every === 0) checkpoint('records');
  }
  if (seal) checkpoint('close');
  return lines;
}

function fixKeyId<T extends { checkpoint?: AuditRecord['checkpoint'] }>(record: T): T {
  return { ...record, checkpoint: { ...record.checkpoint!, key_id: keyIdOfTestKey } };
}
const file = (lines: string[], name = 'audit.jsonl') => ({ name, text: lines.join('') });
const parse = (line: string) => JSON.parse(line) as AuditRecord;
const write = (record: AuditRecord) => `${canonicalJson(record)}\n`;
const rehash = (record: AuditRecord): AuditRecord => ({ ...record, hash: recordHash(record) });

describe('verifyTrail', () => {
  it('accepts an intact trail and reports that it is not sealed', () => {
    const report = verifyTrail([file(trail(10))]);
    expect(report).toMatchObject({ ok: true, records: 10, firstSeq: 1, lastSeq: 10, sealed: false, unsigned: 10 });
    expect(report.notes.join()).toMatch(/not sealed/);
  });

  it('accepts a sealed trail with valid signatures', () => {
    const report = verifyTrail([file(trail(10, { every: 4, seal: true }))], { publicKey, requireSeal: true });
    expect(report).toMatchObject({ ok: true, records: 13, checkpoints: 3, sealed: true, unsigned: 0, lastSigned: { seq: 13 } });
  });

  it('names an edited record', () => {
    const lines = trail(10);
    lines[4] = lines[4]!.replace('select 5', 'select 555');
    expect(verifyTrail([file(lines)]).problem).toMatchObject({ kind: 'altered', line: 5, seq: 5 });
  });

  it('names an edited record whose hash was recomputed', () => {
    const lines = trail(10);
    const edited = parse(lines[4]!);
    lines[4] = write(rehash({ ...edited, statement: { ...edited.statement!, sql: 'select 555' } }));
    expect(verifyTrail([file(lines)]).problem).toMatchObject({ kind: 'altered', line: 5, seq: 5 });
  });

  it('names a removed record', () => {
    const lines = trail(10);
    lines.splice(3, 2);
    expect(verifyTrail([file(lines)]).problem).toMatchObject({ kind: 'removed', seq: 6, message: expect.stringContaining('seq 4 to 5 were removed') });
  });

  it('notices removed first records', () => {
    expect(verifyTrail([file(trail(10).slice(2))]).problem).toMatchObject({ kind: 'start', seq: 3 });
    expect(verifyTrail([file(trail(10).slice(2))], { partial: true })).toMatchObject({ ok: true, records: 8 });
  });

  it('names an inserted record, crafted to chain or copied', () => {
    const lines = trail(10);
    const before = parse(lines[3]!);
    const crafted = rehash({ ...parse(lines[4]!), statement: { sql: 'select forged', fingerprint: '0'.repeat(16) }, prev: before.hash });
    const withCrafted = [...lines.slice(0, 4), write(crafted), ...lines.slice(4)];
    expect(verifyTrail([file(withCrafted)]).problem).toMatchObject({ kind: 'inserted', line: 5, seq: 5 });

    const withCopy = [...lines.slice(0, 7), lines[2]!, ...lines.slice(7)];
    expect(verifyTrail([file(withCopy)]).problem).toMatchObject({ kind: 'inserted', line: 8, seq: 3, message: expect.stringContaining('copy of the record at audit.jsonl:3') });

    const withGarbage = [...lines.slice(0, 7), '{"hello":"world"}\n', ...lines.slice(7)];
    expect(verifyTrail([file(withGarbage)]).problem).toMatchObject({ kind: 'invalid', line: 8 });
  });

  it('names reordered records', () => {
    const lines = trail(10);
    [lines[4], lines[5]] = [lines[5]!, lines[4]!];
    expect(verifyTrail([file(lines)]).problem).toMatchObject({ kind: 'reordered', line: 5, seq: 6 });
    const last = trail(10);
    [last[8], last[9]] = [last[9]!, last[8]!];
    expect(verifyTrail([file(last)]).problem).toMatchObject({ kind: 'reordered', line: 9, seq: 10 });
  });

  it('names a record cut short in the middle, and accepts a torn last line as an abrupt stop', () => {
    const lines = trail(10);
    lines[6] = `${lines[6]!.slice(0, 40)}\n`;
    expect(verifyTrail([file(lines)]).problem).toMatchObject({ kind: 'invalid', line: 7 });

    const torn = trail(10);
    torn[9] = torn[9]!.slice(0, 50);
    const report = verifyTrail([file(torn)]);
    expect(report).toMatchObject({ ok: true, records: 9, tornTail: { file: 'audit.jsonl', bytes: 50 } });
  });

  it('detects a truncated tail by the missing seal', () => {
    const sealed = trail(10, { every: 4, seal: true });
    const cut = sealed.slice(0, 9);
    expect(verifyTrail([file(cut)], { publicKey }).ok).toBe(true);
    const report = verifyTrail([file(cut)], { publicKey, requireSeal: true });
    expect(report.problem).toMatchObject({ kind: 'truncated', seq: 9 });
  });

  it('detects a rewritten chain by its checkpoint signature', () => {
    const lines = trail(10, { every: 4, seal: true });
    // Edit seq 2 and recompute every hash after it: the chain is consistent again, the signature is not.
    const records = lines.map(parse);
    records[1] = { ...records[1]!, statement: { sql: 'select nothing', fingerprint: '0'.repeat(16) } };
    for (let i = 1; i < records.length; i++) records[i] = rehash({ ...records[i]!, prev: records[i - 1]!.hash });
    const rewritten = records.map(write);
    expect(verifyTrail([file(rewritten)]).ok).toBe(true);
    expect(verifyTrail([file(rewritten)], { publicKey }).problem).toMatchObject({ kind: 'signature', seq: 5 });
  });

  it('refuses checkpoints signed by another key', () => {
    const other = createPublicKey(loadPrivateKey(generateKeyPair().privatePem));
    expect(verifyTrail([file(trail(4, { every: 2 }))], { publicKey: other }).problem).toMatchObject({ kind: 'signature', seq: 3 });
  });

  it('follows the chain across rotated files given in any order, and notices a missing one', () => {
    const lines = trail(9);
    const files = [file(lines.slice(6), 'audit.jsonl'), file(lines.slice(0, 3), 'audit.20251123T054800Z.1.jsonl'), file(lines.slice(3, 6), 'audit.20251123T054900Z.4.jsonl')];
    expect(verifyTrail(files)).toMatchObject({ ok: true, records: 9, files: ['audit.20251123T054800Z.1.jsonl', 'audit.20251123T054900Z.4.jsonl', 'audit.jsonl'] });
    expect(verifyTrail([files[0]!, files[1]!]).problem).toMatchObject({ kind: 'removed', file: 'audit.jsonl', line: 1, seq: 7 });
  });
});
