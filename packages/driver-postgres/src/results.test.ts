// Tests for result decoding and re-encoding: RowDescription, DataRow ranges and patches, CommandComplete tags, ErrorResponse.
import { describe, expect, it } from 'vitest';
import { affectedRows, dataRowRanges, decodeErrorFields, decodeRowDescription, encodeDataRow } from './results.js';
import { cstring, dataRow, errorResponse, int16, int32, rowDescription, typedBody } from './testing/messages.js';

describe('decodeRowDescription', () => {
  it('decodes every field of every column', () => {
    const body = typedBody(
      rowDescription([
        { name: 'id', tableOid: 16384, columnNumber: 1, typeOid: 23, typeSize: 4, format: 0 },
        { name: 'naïve_email', tableOid: 16384, columnNumber: 3, typeOid: 1043, typeModifier: 259 },
        { name: '?column?', typeOid: 987654, format: 1 },
      ]),
    );
    expect(decodeRowDescription(body)).toEqual([
      { name: 'id', table: '16384', type: 'int4', tableOid: 16384, columnNumber: 1, typeOid: 23, format: 0 },
      { name: 'naïve_email', table: '16384', type: 'varchar', tableOid: 16384, columnNumber: 3, typeOid: 1043, format: 0 },
      { name: '?column?', type: '987654', tableOid: 0, columnNumber: 0, typeOid: 987654, format: 1 },
    ]);
  });

  it('leaves `table` out when the column comes from no table', () => {
    const [column] = decodeRowDescription(typedBody(rowDescription([{ name: 'now', typeOid: 1184 }])))!;
    expect(column).not.toHaveProperty('table');
    expect(column!.type).toBe('timestamptz');
  });

  it('reads table OIDs above 2^31 as unsigned', () => {
    const body = typedBody(rowDescription([{ name: 'c', tableOid: -1, typeOid: -2 }]));
    expect(decodeRowDescription(body)).toMatchObject([{ tableOid: 0xffffffff, table: '4294967295', typeOid: 0xfffffffe }]);
  });

  it('decodes a description of no columns', () => {
    expect(decodeRowDescription(typedBody(rowDescription([])))).toEqual([]);
  });

  it('refuses a truncated body at every length', () => {
    const body = typedBody(rowDescription([{ name: 'a' }, { name: 'bee', tableOid: 1 }]));
    for (let length = 0; length < body.length; length++) {
      expect(decodeRowDescription(body.subarray(0, length)), `length ${length}`).toBeUndefined();
    }
  });

  it('refuses a name without terminator, fewer columns than counted, and trailing bytes', () => {
    expect(decodeRowDescription(Buffer.concat([int16(1), Buffer.from('name')]))).toBeUndefined();
    const one = typedBody(rowDescription([{ name: 'a' }]));
    expect(decodeRowDescription(Buffer.concat([int16(2), one.subarray(2)]))).toBeUndefined();
    expect(decodeRowDescription(Buffer.concat([one, Buffer.from([0])]))).toBeUndefined();
  });
});

describe('dataRowRanges', () => {
  it('locates each value, with start -1 for NULL and length 0 for an empty string', () => {
    const body = typedBody(dataRow(['ab', null, '', 'Zoë']));
    expect(dataRowRanges(body)).toEqual([
      { start: 6, length: 2 },
      { start: -1, length: 0 },
      { start: 16, length: 0 },
      { start: 20, length: 4 },
    ]);
    const ranges = dataRowRanges(body)!;
    expect(body.toString('utf8', ranges[3]!.start, ranges[3]!.start + ranges[3]!.length)).toBe('Zoë');
  });

  it('decodes a row of no columns', () => {
    expect(dataRowRanges(typedBody(dataRow([])))).toEqual([]);
  });

  it('refuses a truncated row at every length', () => {
    const body = typedBody(dataRow(['value', null, '']));
    for (let length = 0; length < body.length; length++) {
      expect(dataRowRanges(body.subarray(0, length)), `length ${length}`).toBeUndefined();
    }
  });

  it('refuses a value length running past the end, a negative length other than -1, and trailing bytes', () => {
    expect(dataRowRanges(Buffer.concat([int16(1), int32(10), Buffer.from('short')]))).toBeUndefined();
    expect(dataRowRanges(Buffer.concat([int16(1), int32(-2)]))).toBeUndefined();
    expect(dataRowRanges(Buffer.concat([typedBody(dataRow(['a'])), Buffer.from([0])]))).toBeUndefined();
  });
});

describe('encodeDataRow', () => {
  /** Binary bytes that are not valid UTF-8: they survive only if copied, never if decoded and re-encoded. */
  const BINARY = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3]);
  const original = dataRow(['keep', BINARY, null, 'secret', '', 'Zoë']);
  const body = typedBody(original);
  const ranges = dataRowRanges(body)!;

  it('re-encodes an all-undefined patch byte for byte', () => {
    expect(encodeDataRow(body, ranges, [undefined, undefined, undefined, undefined, undefined, undefined]).equals(original)).toBe(true);
    expect(encodeDataRow(body, ranges, []).equals(original)).toBe(true);
  });

  it('replaces values with strings (multi-byte UTF-8) and nulls, and copies untouched ones byte for byte', () => {
    const patched = encodeDataRow(body, ranges, [undefined, undefined, 'now set', '🚀 ✓ ß', null, undefined]);
    expect(patched.toString('hex')).toBe(dataRow(['keep', BINARY, 'now set', '🚀 ✓ ß', null, 'Zoë']).toString('hex'));
    const patchedRanges = dataRowRanges(patched.subarray(5))!;
    const bytesAt = (buffer: Buffer, range: { start: number; length: number }) => buffer.subarray(range.start, range.start + range.length);
    expect(bytesAt(patched.subarray(5), patchedRanges[1]!).equals(BINARY)).toBe(true);
    expect(patchedRanges[3]!.length).toBe(Buffer.byteLength('🚀 ✓ ß'));
  });

  it('writes a complete DataRow message with a correct length', () => {
    const patched = encodeDataRow(body, ranges, ['a much longer replacement value than before'.repeat(10)]);
    expect(patched[0]).toBe(0x44);
    expect(patched.readInt32BE(1)).toBe(patched.length - 1);
    expect(dataRowRanges(patched.subarray(5))).toHaveLength(6);
  });

  it('replaces a NULL with an empty string and keeps a NULL left undefined', () => {
    const nullRow = typedBody(dataRow([null, null]));
    const patched = encodeDataRow(nullRow, dataRowRanges(nullRow)!, ['', undefined]);
    expect(patched.equals(dataRow(['', null]))).toBe(true);
  });
});

describe('affectedRows', () => {
  it.each([
    ['INSERT 0 5', 5],
    ['INSERT 0 0', 0],
    ['UPDATE 3', 3],
    ['DELETE 0', 0],
    ['MERGE 4', 4],
    ['COPY 7', 7],
  ])('reads %s as %i', (tag, rows) => {
    expect(affectedRows(tag)).toBe(rows);
  });

  it.each(['CREATE TABLE', 'BEGIN', 'COMMIT', 'SET', 'DROP TABLE', 'DISCARD ALL', '', 'SELECT 10', 'FETCH 1', 'MOVE 2'])('has no count of changed rows for "%s"', (tag) => {
    expect(affectedRows(tag)).toBeUndefined();
  });
});

describe('decodeErrorFields', () => {
  it('reads the SQLSTATE and the message, ignoring other fields', () => {
    const body = typedBody(
      errorResponse({ S: 'ERROR', V: 'ERROR', C: '42P01', M: 'relation "zoë" does not exist', P: '15', F: 'parse_relation.c' }),
    );
    expect(decodeErrorFields(body)).toEqual({ code: '42P01', message: 'relation "zoë" does not exist' });
  });

  it('leaves the code out when there is none, and the message empty when there is none', () => {
    expect(decodeErrorFields(typedBody(errorResponse({ S: 'FATAL', M: 'bye' })))).toStrictEqual({ message: 'bye' });
    expect(decodeErrorFields(typedBody(errorResponse({ C: '57P01' })))).toStrictEqual({ code: '57P01', message: '' });
    expect(decodeErrorFields(Buffer.alloc(0))).toStrictEqual({ message: '' });
  });

  it('keeps what it read before a field without terminator', () => {
    const body = Buffer.concat([Buffer.from('C'), cstring('XX000'), Buffer.from('Mcut off')]);
    expect(decodeErrorFields(body)).toEqual({ code: 'XX000', message: '' });
  });

  it('stops at the terminating zero', () => {
    const body = Buffer.concat([Buffer.from('M'), cstring('first'), Buffer.from([0]), Buffer.from('M'), cstring('after')]);
    expect(decodeErrorFields(body)).toEqual({ message: 'first' });
  });
});
