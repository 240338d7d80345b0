import { describe, expect, it } from 'vitest';
import { decodeColumnDefinition, type ColumnDefinition } from './columns.js';
import { ColumnFlag, ColumnType } from './constants.js';
import { PayloadWriter } from './payload.js';
import { binaryRowRanges, binaryValueText, encodeBinaryRow, encodeBinaryValue, encodeTextRow, stringEncoding, textRowRanges } from './rows.js';
import { columnDefinitionPayload, textRowPayload } from './testing/packets.js';

function column(typeId: number, extra: Partial<ColumnDefinition> = {}): ColumnDefinition {
  return { name: 'c', type: '', typeId, flags: 0, charset: 45, decimals: 0, ...extra };
}

describe('column definitions', () => {
  it('reports schema.table from org_table and the type name', () => {
    const decoded = decodeColumnDefinition(columnDefinitionPayload({ schema: 'shop', table: 'c', orgTable: 'customers', name: 'email', typeId: ColumnType.VarString }));
    expect(decoded).toMatchObject({ name: 'email', table: 'shop.customers', type: 'var_string', typeId: ColumnType.VarString, charset: 45 });
  });

  it('leaves the table out for an expression', () => {
    const decoded = decodeColumnDefinition(columnDefinitionPayload({ schema: '', table: '', orgTable: '', name: '1+1', typeId: ColumnType.LongLong, flags: ColumnFlag.UNSIGNED }));
    expect(decoded?.table).toBeUndefined();
    expect(decoded?.type).toBe('longlong');
  });

  it('is undefined when truncated', () => {
    const payload = columnDefinitionPayload({ name: 'x', typeId: ColumnType.Long });
    expect(decodeColumnDefinition(payload.subarray(0, payload.length - 8))).toBeUndefined();
  });
});

describe('text rows', () => {
  it('finds values and NULLs and replaces only what was patched', () => {
    const payload = textRowPayload(['1', 'ann@example.com', null, 'x'.repeat(300)]);
    const ranges = textRowRanges(payload, 4)!;
    expect(ranges[2]!.start).toBe(-1);
    expect(payload.toString('utf8', ranges[1]!.start, ranges[1]!.start + ranges[1]!.length)).toBe('ann@example.com');
    const patched = encodeTextRow(payload, ranges, [undefined, '****@example.com', 'now set', null]);
    expect(patched.equals(textRowPayload(['1', '****@example.com', 'now set', null]))).toBe(true);
  });

  it('gives binary-charset values one character per byte, so they survive a round trip', () => {
    const bytes = Buffer.from('deadbeef00ff', 'hex');
    const payload = textRowPayload([bytes]);
    const columns = [column(ColumnType.VarString, { charset: 63 })];
    const ranges = textRowRanges(payload, 1)!;
    const text = payload.toString(stringEncoding(columns[0]), ranges[0]!.start, ranges[0]!.start + ranges[0]!.length);
    expect(text).toBe('\u00de\u00ad\u00be\u00ef\u0000\u00ff');
    expect(encodeTextRow(payload, ranges, [text], columns).equals(payload)).toBe(true);
  });

  it('is undefined when the row has too few or too many values', () => {
    const payload = textRowPayload(['a', 'b']);
    expect(textRowRanges(payload, 3)).toBeUndefined();
    expect(textRowRanges(payload, 1)).toBeUndefined();
  });
});

describe('binary rows', () => {
  const columns = [
    column(ColumnType.Long),
    column(ColumnType.VarString),
    column(ColumnType.LongLong, { flags: ColumnFlag.UNSIGNED }),
    column(ColumnType.Date),
    column(ColumnType.DateTime, { decimals: 3 }),
    column(ColumnType.Double),
    column(ColumnType.Blob),
    column(ColumnType.Time),
    column(ColumnType.Tiny),
  ];

  function row(): Buffer {
    const bitmap = Buffer.alloc(Math.floor((columns.length + 7 + 2) / 8));
    // column 6 (Blob) is NULL
    bitmap[(6 + 2) >> 3]! |= 1 << ((6 + 2) & 7);
    const date = Buffer.from([4, 0xd0, 0x07, 1, 31]);
    const datetime = Buffer.from([11, 0xe8, 0x07, 5, 6, 7, 8, 9, 0x40, 0xe2, 0x01, 0x00]);
    const time = Buffer.from([8, 1, 1, 0, 0, 0, 2, 3, 4]);
    const doubled = Buffer.alloc(8);
    doubled.writeDoubleLE(2.5);
    return new PayloadWriter(64)
      .int1(0)
      .bytes(bitmap)
      .int4(-7 >>> 0)
      .lenencString('ann@example.com')
      .int8(18446744073709551615n)
      .bytes(date)
      .bytes(datetime)
      .bytes(doubled)
      .bytes(time)
      .int1(0xff)
      .finish();
  }

  it('decodes every value as the text protocol would show it', () => {
    const payload = row();
    const ranges = binaryRowRanges(payload, columns)!;
    const texts = ranges.map((range, i) => (range.start === -1 ? null : binaryValueText(payload, range, columns[i]!)));
    expect(texts).toEqual(['-7', 'ann@example.com', '18446744073709551615', '2000-01-31', '2024-05-06 07:08:09.123', '2.5', null, '-26:03:04', '-1']);
  });

  it('re-encodes a replaced string with its new length and leaves the rest byte for byte', () => {
    const payload = row();
    const ranges = binaryRowRanges(payload, columns)!;
    const patched = encodeBinaryRow(payload, ranges, columns, [undefined, '****@example.com', undefined, undefined, undefined, undefined, undefined, undefined, undefined]);
    const again = binaryRowRanges(patched, columns)!;
    const texts = again.map((range, i) => (range.start === -1 ? null : binaryValueText(patched, range, columns[i]!)));
    expect(texts).toEqual(['-7', '****@example.com', '18446744073709551615', '2000-01-31', '2024-05-06 07:08:09.123', '2.5', null, '-26:03:04', '-1']);
    expect(patched.length).toBe(payload.length + 1);
  });

  it('sets and clears NULL bits', () => {
    const payload = row();
    const ranges = binaryRowRanges(payload, columns)!;
    const patched = encodeBinaryRow(payload, ranges, columns, [null, undefined, undefined, undefined, undefined, undefined, 'now text', undefined, undefined]);
    const again = binaryRowRanges(patched, columns)!;
    expect(again[0]!.start).toBe(-1);
    expect(binaryValueText(patched, again[6]!, columns[6]!)).toBe('now text');
  });

  it('encodes replacements of other types, and NULL for text that is no value of the type', () => {
    expect(encodeBinaryValue('1999-12-31', column(ColumnType.Date))).toEqual(Buffer.from([4, 0xcf, 0x07, 12, 31]));
    expect(encodeBinaryValue('42', column(ColumnType.Long))).toEqual(Buffer.from([42, 0, 0, 0]));
    expect(encodeBinaryValue('****', column(ColumnType.Long))).toBeNull();
    expect(encodeBinaryValue('300', column(ColumnType.Tiny))).toBeNull();
    expect(encodeBinaryValue('not a date', column(ColumnType.DateTime))).toBeNull();
  });

  it('uses the shortest temporal form, as the server does', () => {
    expect(encodeBinaryValue('2024-05-06 07:08:09', column(ColumnType.DateTime))).toEqual(Buffer.from([7, 0xe8, 0x07, 5, 6, 7, 8, 9]));
    expect(encodeBinaryValue('2024-05-06 07:08:09.000', column(ColumnType.Timestamp, { decimals: 3 }))?.length).toBe(8);
    expect(encodeBinaryValue('2024-05-06 00:00:00', column(ColumnType.DateTime))).toEqual(Buffer.from([4, 0xe8, 0x07, 5, 6]));
    expect(encodeBinaryValue('2024-05-06 07:08:09.5', column(ColumnType.DateTime))?.length).toBe(12);
    expect(encodeBinaryValue('01:02:03', column(ColumnType.Time))).toEqual(Buffer.from([8, 0, 0, 0, 0, 0, 1, 2, 3]));
    expect(encodeBinaryValue('00:00:00', column(ColumnType.Time))).toEqual(Buffer.from([0]));
  });

  it('is undefined for a truncated row', () => {
    const payload = row();
    expect(binaryRowRanges(payload.subarray(0, payload.length - 1), columns)).toBeUndefined();
  });
});
