// COPY TO data as PostgreSQL 15 writes it (the samples were taken from psql): read, and written back byte for byte.
import { describe, expect, it } from 'vitest';
import { BINARY_SIGNATURE, CopyDataError, CopyRowReader, copyFieldText, copyFormat, encodeBinaryRow, encodeTextRow, escapeText, quoteCsv, type CopyFormat } from './copy-rows.js';

const values = (format: CopyFormat, line: string) => {
  const data = Buffer.from(line, 'utf8');
  const [row] = new CopyRowReader(format).rows(data);
  return row!.fields!.map((field) => copyFieldText(format, data, field));
};

/** Every field replaced by its own decoded value: the row written back must be the original bytes. */
function roundTrip(format: CopyFormat, data: Buffer): Buffer {
  const rows = new CopyRowReader(format).rows(data);
  return Buffer.concat(
    rows.map((row) => {
      if (!row.fields) return data.subarray(row.start, row.end);
      if (format.kind === 'binary') return encodeBinaryRow(data, row, row.fields.map((field) => (field.isNull ? null : Buffer.from(data.subarray(field.start, field.end)))));
      return encodeTextRow(format, data, row, row.fields.map((field) => copyFieldText(format, data, field)));
    }),
  );
}

// select E'a\tb\\c\nd' as t, 'x,"y"' as q, null::text as n, '' as e, '\N' as bs, 'p|q' as pipe
const TEXT_ROW = 'a\\tb\\\\c\\nd\tx,"y"\t\\N\t\t\\\\N\tp|q\n';
const CSV_ROWS = 't,q,n,e,bs,pipe\n"a\tb\\c\nd","x,""y""",,"",\\N,p|q\n';
const DECODED = ['a\tb\\c\nd', 'x,"y"', null, '', '\\N', 'p|q'];

describe('text format', () => {
  const text = copyFormat('text');

  it('reads escapes, NULL and an escaped NULL string', () => {
    expect(values(text, TEXT_ROW)).toEqual(DECODED);
  });

  it('writes every value back exactly as PostgreSQL did', () => {
    expect(roundTrip(text, Buffer.from(TEXT_ROW)).toString()).toBe(TEXT_ROW);
    expect(escapeText('a\tb\\c\nd\r\b\f\v', text)).toBe('a\\tb\\\\c\\nd\\r\\b\\f\\v');
  });

  it('honours another delimiter and NULL string (a value equal to the NULL string reads as NULL, as COPY FROM would)', () => {
    const piped = copyFormat('text', { delimiter: '|', null: 'NULL' });
    const line = 'a\\|b|NULL|NULL\n';
    expect(values(piped, line)).toEqual(['a|b', null, null]);
    expect(roundTrip(piped, Buffer.from(line)).toString()).toBe(line);
    expect(escapeText('x|y', piped)).toBe('x\\|y');
  });

  it('passes a header line by and reads several rows of one message', () => {
    const reader = new CopyRowReader(copyFormat('text', { header: true }));
    const data = Buffer.from('id\temail\n1\ta@x.com\n2\t\\N\n');
    const rows = reader.rows(data);
    expect(rows.map((row) => row.fields?.length)).toEqual([undefined, 2, 2]);
    expect(reader.rows(Buffer.from('3\tc\n'))[0]!.fields).toHaveLength(2);
  });

  it('replaces only the fields given', () => {
    const data = Buffer.from(TEXT_ROW);
    const [row] = new CopyRowReader(text).rows(data);
    expect(encodeTextRow(text, data, row!, [undefined, 'new\tvalue', 'not null', null]).toString()).toBe('a\\tb\\\\c\\nd\tnew\\tvalue\tnot null\t\\N\t\\\\N\tp|q\n');
  });

  it('refuses a row that does not end within the message', () => {
    expect(() => new CopyRowReader(text).rows(Buffer.from('1\tpartial'))).toThrow(CopyDataError);
  });
});

describe('CSV', () => {
  const csv = copyFormat('csv', { header: true });

  it('reads quotes, doubled quotes, embedded delimiters and newlines, NULL and the empty string', () => {
    const data = Buffer.from(CSV_ROWS);
    const [header, row] = new CopyRowReader(csv).rows(data);
    expect(header!.fields).toBeUndefined();
    expect(row!.fields!.map((field) => copyFieldText(csv, data, field))).toEqual(DECODED);
  });

  it('writes every value back exactly as PostgreSQL did', () => {
    expect(roundTrip(csv, Buffer.from(CSV_ROWS)).toString()).toBe(CSV_ROWS);
  });

  it('keeps FORCE_QUOTE (a quoted field stays quoted) and quotes what PostgreSQL quotes', () => {
    expect(quoteCsv('plain', csv, true, false)).toBe('"plain"');
    expect(quoteCsv('plain', csv, false, false)).toBe('plain');
    expect(quoteCsv('', csv, false, false)).toBe('""');
    expect(quoteCsv('a\rb', csv, false, false)).toBe('"a\rb"');
    expect(quoteCsv('\\.', csv, false, true)).toBe('"\\."');
  });

  it('honours QUOTE, ESCAPE, DELIMITER and NULL', () => {
    const odd = copyFormat('csv', { delimiter: ';', quote: "'", escape: '\\', null: 'NULL' });
    const line = "'it\\'s; \\\\ fine';NULL;'NULL';x\n";
    expect(values(odd, line)).toEqual(["it's; \\ fine", null, 'NULL', 'x']);
    expect(roundTrip(odd, Buffer.from(line)).toString()).toBe(line);
  });
});

describe('binary format', () => {
  const binary = copyFormat('binary');
  const tuple = (...fields: (Buffer | null)[]) =>
    Buffer.concat([
      Buffer.from([0, fields.length]),
      ...fields.flatMap((field) => {
        const length = Buffer.alloc(4);
        length.writeInt32BE(field === null ? -1 : field.length);
        return field === null ? [length] : [length, field];
      }),
    ]);
  const header = Buffer.concat([BINARY_SIGNATURE, Buffer.alloc(8)]);
  const trailer = Buffer.from([0xff, 0xff]);

  it('reads the header with the first tuple, tuples with NULLs, and the trailer; writes them back unchanged', () => {
    const first = Buffer.concat([header, tuple(Buffer.from([0, 0, 0, 1]), Buffer.from('a@x.com'), null)]);
    const reader = new CopyRowReader(binary);
    const rows = reader.rows(first);
    expect(rows.map((row) => row.fields?.map((field) => (field.isNull ? null : first.toString('latin1', field.start, field.end))))).toEqual([
      undefined,
      ['\0\0\0\u0001', 'a@x.com', null],
    ]);
    expect(reader.rows(trailer)).toEqual([{ start: 0, end: 2 }]);
    expect(roundTrip(binary, first).equals(first)).toBe(true);
  });

  it('replaces one field and keeps the others', () => {
    const data = Buffer.concat([header, tuple(Buffer.from([0, 0, 0, 1]), Buffer.from('a@x.com'), null)]);
    const [, row] = new CopyRowReader(binary).rows(data);
    expect(encodeBinaryRow(data, row!, [undefined, Buffer.from('*@x.com'), undefined]).equals(tuple(Buffer.from([0, 0, 0, 1]), Buffer.from('*@x.com'), null))).toBe(true);
  });

  it('refuses data without the header or a tuple cut short', () => {
    expect(() => new CopyRowReader(binary).rows(tuple(Buffer.from('x')))).toThrow(CopyDataError);
    expect(() => new CopyRowReader(binary).rows(Buffer.concat([header, tuple(Buffer.from('abc')).subarray(0, 8)]))).toThrow(CopyDataError);
  });
});
