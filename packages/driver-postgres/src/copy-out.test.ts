// COPY … TO STDOUT through the row hooks: the columns plugins see, and CopyData rewritten only where a value changed.
import { describe, expect, it } from 'vitest';
import { CopyOutFilter, copyOutColumns } from './copy-out.js';
import { copyFormat } from './copy-rows.js';
import type { ColumnDescription } from './results.js';

/** CopyOutResponse body: overall format, column count, per-column formats. */
const response = (format: number, count: number) => {
  const body = Buffer.alloc(3 + 2 * count);
  body[0] = format;
  body.writeInt16BE(count, 1);
  for (let i = 0; i < count; i++) body.writeInt16BE(format, 3 + 2 * i);
  return body;
};
const described: ColumnDescription[] = [
  { name: 'id', table: 'public.people', type: 'int4', tableOid: 1, columnNumber: 1, typeOid: 23, format: 0 },
  { name: 'email', table: 'public.people', type: 'text', tableOid: 1, columnNumber: 2, typeOid: 25, format: 0 },
];

describe('copyOutColumns', () => {
  it('uses the described columns when the counts agree, column1…n otherwise', () => {
    expect(copyOutColumns(response(1, 2), copyFormat('binary'), described)?.map((c) => [c.name, c.type, c.format])).toEqual([
      ['id', 'int4', 1],
      ['email', 'text', 1],
    ]);
    expect(copyOutColumns(response(0, 3), copyFormat('csv'), described)?.map((c) => [c.name, c.type])).toEqual([
      ['column1', 'text'],
      ['column2', 'text'],
      ['column3', 'text'],
    ]);
    // Binary values of no known type are left undecoded.
    expect(copyOutColumns(response(1, 1), copyFormat('binary'), undefined)?.[0]?.type).toBe('0');
  });

  it('refuses a malformed message or a format that contradicts the statement', () => {
    expect(copyOutColumns(Buffer.from([0, 0]), copyFormat('text'), undefined)).toBeUndefined();
    expect(copyOutColumns(response(1, 2), copyFormat('csv'), described)).toBeUndefined();
  });
});

describe('CopyOutFilter', () => {
  const mask = (row: { values: readonly (string | null | undefined)[] }) => (row.values[1]?.includes('@') ? [undefined, '****@x.com'] : undefined);

  it('decodes only the wanted columns and returns the same bytes when nothing changed', () => {
    const seen: unknown[] = [];
    const filter = new CopyOutFilter(copyFormat('text'), described, (row) => (seen.push(row.values), undefined), new Set([1]));
    const data = Buffer.from('1\tno mail\n');
    expect(filter.filter(data)).toBe(data);
    expect(seen).toEqual([[undefined, 'no mail']]);
  });

  it('rewrites changed rows in CSV, keeping the header and other rows', () => {
    const filter = new CopyOutFilter(copyFormat('csv', { header: true }), described, mask, 'all');
    expect(filter.filter(Buffer.from('id,email\n1,"a,b@x.com"\n2,none\n')).toString()).toBe('id,email\n1,"****@x.com"\n2,none\n');
  });

  it('encodes binary replacements with the column type', () => {
    const columns = copyOutColumns(response(1, 2), copyFormat('binary'), described)!;
    const filter = new CopyOutFilter(copyFormat('binary'), columns, mask, 'all');
    const header = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
    const tuple = (email: string) => Buffer.concat([Buffer.from([0, 2, 0, 0, 0, 4, 0, 0, 0, 7, 0, 0, 0, email.length]), Buffer.from(email)]);
    expect(filter.filter(Buffer.concat([header, tuple('a@b.com')])).equals(Buffer.concat([header, tuple('****@x.com')]))).toBe(true);
  });

  it('refuses a row with another number of fields than columns', () => {
    const filter = new CopyOutFilter(copyFormat('text'), described, mask, 'all');
    expect(() => filter.filter(Buffer.from('1\ta@b.com\textra\n'))).toThrow(/3 fields for 2 columns/);
  });
});
