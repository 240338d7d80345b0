import { describe, expect, it } from 'vitest';
import { decodeOrUndefined, PayloadReader, PayloadWriter } from './payload.js';

describe('length-encoded integers', () => {
  const cases: [number, number[]][] = [
    [0, [0x00]],
    [250, [0xfa]],
    [251, [0xfc, 0xfb, 0x00]],
    [0xffff, [0xfc, 0xff, 0xff]],
    [0x10000, [0xfd, 0x00, 0x00, 0x01]],
    [0xffffff, [0xfd, 0xff, 0xff, 0xff]],
    [0x1000000, [0xfe, 0x00, 0x00, 0x00, 0x01, 0, 0, 0, 0]],
  ];
  for (const [value, bytes] of cases) {
    it(`encodes and decodes ${value}`, () => {
      expect([...new PayloadWriter().lenenc(value).finish()]).toEqual(bytes);
      expect(new PayloadReader(Buffer.from(bytes)).lenenc()).toBe(value);
    });
  }

  it('reads 0xfb as NULL and refuses 0xff', () => {
    expect(new PayloadReader(Buffer.from([0xfb])).lenenc()).toBeNull();
    expect(decodeOrUndefined(() => new PayloadReader(Buffer.from([0xff])).lenenc())).toBeUndefined();
  });

  it('reports a truncated value as malformed, not as a crash', () => {
    expect(decodeOrUndefined(() => new PayloadReader(Buffer.from([0xfd, 0x01])).lenenc())).toBeUndefined();
    expect(decodeOrUndefined(() => new PayloadReader(Buffer.from([0x05, 0x61])).lenencString())).toBeUndefined();
    expect(decodeOrUndefined(() => new PayloadReader(Buffer.from('abc')).nulString())).toBeUndefined();
  });

  it('round-trips strings', () => {
    const long = 'ü'.repeat(70_000);
    const payload = new PayloadWriter().lenencString('héllo').nulString('x').lenencString(long).finish();
    const reader = new PayloadReader(payload);
    expect(reader.lenencString()).toBe('héllo');
    expect(reader.nulString()).toBe('x');
    expect(reader.lenencString()).toBe(long);
    expect(reader.remaining).toBe(0);
  });
});
