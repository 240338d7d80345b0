// The token stream: the MS-TDS 4.12 example, every token Sluice reads, rows with PLP and NBCROW, tokens split across packets, and row re-encoding.
import { describe, expect, it } from 'vitest';
import { DoneStatus, EnvChangeType, Token } from './codes.js';
import { Cursor, Writer } from './cursor.js';
import { FeatureId } from './login7.js';
import { doneToken, envChangeText, failedStatement, featureExtAckToken, loginAckToken, messageToken } from './server-tokens.js';
import { encodeRow } from './statement-relay.js';
import { TokenStream, type StreamToken } from './token-stream.js';
import { rowValueRanges, TokenError, TokenParser, type Column } from './tokens.js';
import { readValue } from './type-info.js';
import { valueText } from './values.js';

/** MS-TDS 4.12 (bulk load): COLMETADATA with one nullable BIT column c1, a ROW holding 0, a final DONE. */
const SPEC_BULK_TOKENS = Buffer.from('810100000000000500320263003100D100FD000000000000000000000000', 'hex');
const LATIN1 = Buffer.from('0904d00034', 'hex');

function tokens(bytes: Buffer): StreamToken[] {
  const stream = new TokenStream();
  stream.push(bytes);
  const out: StreamToken[] = [];
  for (let token = stream.next(); token; token = stream.next()) out.push(token);
  expect(stream.pending).toBe(0);
  return out;
}

/** COLMETADATA for (id int NULL, name nvarchar(max) NULL, note varchar(20) NULL). */
function threeColumns(): Buffer {
  const w = new Writer().u8(Token.ColMetadata).u16(3);
  w.u32(0).u16(1).u8(0x26).u8(4).bVarchar('id');
  w.u32(0).u16(1).u8(0xe7).u16(0xffff).bytes(LATIN1).bVarchar('name');
  w.u32(0).u16(1).u8(0xa7).u16(20).bytes(LATIN1).bVarchar('note');
  return w.finish();
}

/** A ROW for threeColumns(), the nvarchar(max) value in PLP chunks of `chunk` bytes. */
function threeColumnRow(id: number, name: string, note: string | null, chunk = 4): Buffer {
  const w = new Writer().u8(Token.Row).u8(4).i32(id);
  const data = Buffer.from(name, 'utf16le');
  w.u64(BigInt(data.length));
  for (let at = 0; at < data.length; at += chunk) {
    const part = data.subarray(at, at + chunk);
    w.u32(part.length).bytes(part);
  }
  w.u32(0);
  if (note === null) w.u16(0xffff);
  else w.u16(note.length).bytes(Buffer.from(note, 'latin1'));
  return w.finish();
}

describe('token stream', () => {
  it('reads the MS-TDS 4.12 example: COLMETADATA, ROW, DONE', () => {
    const [meta, row, done] = tokens(SPEC_BULK_TOKENS);
    expect(meta).toMatchObject({ kind: 'colmetadata' });
    const columns = (meta as Extract<StreamToken, { kind: 'colmetadata' }>).columns!;
    expect(columns).toHaveLength(1);
    expect(columns[0]).toMatchObject({ name: 'c1', flags: 5, info: { name: 'bit' } });
    expect(row).toMatchObject({ kind: 'row', nbc: false, start: 15, end: 17 });
    expect(done).toMatchObject({ kind: 'done', token: Token.Done, status: 0, count: 0n });
  });

  it('reads ERROR, INFO, ENVCHANGE, LOGINACK, FEATUREEXTACK, RETURNSTATUS, ORDER as the spec lays them out', () => {
    // ERROR: length, number 229, state 1, class 14, message, server, procedure, line (TDS 7.2+: 4 bytes).
    const error = new Writer().u8(0xaa).u16(0).i32(229).u8(1).u8(14).usVarchar('denied').bVarchar('srv').bVarchar('').i32(1);
    error.patchU16(1, error.length - 3);
    const order = Buffer.from('a9040001000200', 'hex');
    const stream = Buffer.concat([
      error.finish(),
      messageToken('info', { number: 5701, severity: 0, message: "Changed database context to 'db'." }),
      envChangeText(EnvChangeType.Database, 'db', 'master'),
      envChangeText(EnvChangeType.PacketSize, '8192', '4096'),
      loginAckToken(0x74000004, 'Microsoft SQL Server', 0x10000fa0),
      featureExtAckToken([{ id: FeatureId.Utf8Support, data: Buffer.from([1]) }]),
      Buffer.from('7900000000', 'hex'),
      order,
      doneToken(Token.DoneProc, DoneStatus.Final),
    ]);
    const read = tokens(stream);
    expect(read.map((t) => t.kind)).toEqual(['error', 'info', 'envchange', 'envchange', 'loginack', 'featureextack', 'returnstatus', 'other', 'done']);
    expect(read[0]).toMatchObject({ number: 229, state: 1, severity: 14, message: 'denied', server: 'srv', line: 1 });
    expect(read[1]).toMatchObject({ number: 5701, message: "Changed database context to 'db'.", server: 'sluice' });
    expect(read[2]).toMatchObject({ type: EnvChangeType.Database });
    expect(read[4]).toMatchObject({ tdsVersion: 0x74000004, program: 'Microsoft SQL Server', interface: 1 });
    expect(read[5]).toMatchObject({ features: [{ id: FeatureId.Utf8Support, data: Buffer.from([1]) }] });
    expect(read[7]).toMatchObject({ token: Token.Order, end: read[7]!.start + order.length });
    expect(read[8]).toMatchObject({ token: Token.DoneProc });
  });

  it('writes DONE as 12 bytes after the token: status, current command, 8-byte count', () => {
    expect(doneToken(Token.Done, DoneStatus.Count | DoneStatus.More, 3n, 0xc1).toString('hex')).toBe('fd1100c1000300000000000000');
    const denied = tokens(failedStatement({ number: 229, severity: 14, message: 'sluice: rule: reason' }));
    expect(denied.map((t) => t.kind)).toEqual(['error', 'done']);
    expect(denied[1]).toMatchObject({ status: DoneStatus.Error });
  });

  it('walks rows with PLP chunks, NULLs and NBCROW to find where each ends', () => {
    const nbc = Buffer.concat([Buffer.from([Token.NbcRow, 0b110]), new Writer().u8(4).i32(7).finish()]);
    const stream = Buffer.concat([threeColumns(), threeColumnRow(1, 'Ada Lovelace', 'x'), threeColumnRow(2, '', null), nbc, doneToken(Token.Done, DoneStatus.Count, 3n)]);
    const read = tokens(stream);
    expect(read.map((t) => t.kind)).toEqual(['colmetadata', 'row', 'row', 'row', 'done']);
    const columns = (read[0] as Extract<StreamToken, { kind: 'colmetadata' }>).columns!;
    const values = read.slice(1, 4).map((row) => {
      const r = row as Extract<StreamToken, { kind: 'row' }>;
      return rowValueRanges(r.buf, r.start, r.end, columns, r.nbc).map((range, i) => {
        if (!range) return null;
        const data = readValue(new Cursor(r.buf, range.start, range.end), columns[i]!.info);
        return data === null ? null : valueText(columns[i]!.info, data);
      });
    });
    expect(values).toEqual([
      ['1', 'Ada Lovelace', 'x'],
      ['2', '', null],
      ['7', null, null],
    ]);
  });

  it('gives the same tokens however the bytes are split across packets', () => {
    const stream = Buffer.concat([threeColumns(), threeColumnRow(1, 'Grace Hopper', 'note', 3), threeColumnRow(2, 'x'.repeat(300), null, 64), doneToken(Token.Done, DoneStatus.Count, 2n)]);
    const whole = tokens(stream).map(({ kind, start, end }) => ({ kind, length: end - start }));
    for (let cut = 1; cut < stream.length; cut++) {
      const parts = new TokenStream();
      const seen: { kind: string; length: number }[] = [];
      for (const piece of [stream.subarray(0, cut), stream.subarray(cut)]) {
        parts.push(piece);
        for (let t = parts.next(); t; t = parts.next()) seen.push({ kind: t.kind, length: t.end - t.start });
      }
      expect(seen).toEqual(whole);
      expect(parts.pending).toBe(0);
    }
  });

  it('refuses an unknown token and a row before column metadata', () => {
    expect(() => new TokenParser().next(new Cursor(Buffer.from([0x42])))).toThrow(TokenError);
    expect(() => new TokenParser().next(new Cursor(Buffer.from([Token.Row, 0])))).toThrow(TokenError);
  });
});

describe('row re-encoding', () => {
  const columns = (tokens(threeColumns())[0] as Extract<StreamToken, { kind: 'colmetadata' }>).columns as Column[];

  function decode(row: Buffer): (string | null)[] {
    const [token] = tokens(Buffer.concat([threeColumns(), row])).slice(1) as Extract<StreamToken, { kind: 'row' }>[];
    return rowValueRanges(token!.buf, token!.start, token!.end, columns, token!.nbc).map((range, i) => {
      if (!range) return null;
      const data = readValue(new Cursor(token!.buf, range.start, range.end), columns[i]!.info);
      return data === null ? null : valueText(columns[i]!.info, data);
    });
  }

  it('replaces patched values, keeps the others byte for byte', () => {
    const row = threeColumnRow(5, 'alice@example.com', 'keep');
    const ranges = rowValueRanges(row, 0, row.length, columns, false);
    const out = encodeRow(row, ranges, columns, [undefined, '****@example.com', undefined]);
    expect(out[0]).toBe(Token.Row);
    expect(decode(out)).toEqual(['5', '****@example.com', 'keep']);
    expect(out.subarray(1, 6).equals(row.subarray(1, 6))).toBe(true);
  });

  it('writes NBCROW when a patched value is NULL, so fixed-length types can hold it', () => {
    const row = threeColumnRow(5, 'secret', 'n');
    const ranges = rowValueRanges(row, 0, row.length, columns, false);
    const out = encodeRow(row, ranges, columns, [null, null, undefined]);
    expect(out[0]).toBe(Token.NbcRow);
    expect(decode(out)).toEqual([null, null, 'n']);
  });

  it('sends NULL rather than the clear value when a replacement does not fit the type', () => {
    const row = threeColumnRow(5, 'x', 'y');
    const ranges = rowValueRanges(row, 0, row.length, columns, false);
    expect(decode(encodeRow(row, ranges, columns, ['not a number', undefined, undefined]))).toEqual([null, 'x', 'y']);
  });
});
