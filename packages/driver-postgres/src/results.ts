// Decoding and re-encoding of result messages, only for sessions whose plugins asked for rows.
import type { ColumnInfo } from '@sluice/core';
import { ServerCode } from './codes.js';
import { typeName } from './type-names.js';
import { MessageWriter } from './writer.js';

export interface ColumnDescription extends ColumnInfo {
  readonly tableOid: number;
  readonly columnNumber: number;
  readonly typeOid: number;
  /** 0 text, 1 binary. */
  readonly format: number;
}

/** RowDescription ('T') body; undefined when malformed. */
export function decodeRowDescription(body: Buffer): ColumnDescription[] | undefined {
  if (body.length < 2) return undefined;
  const count = body.readInt16BE(0);
  const columns: ColumnDescription[] = [];
  let offset = 2;
  for (let i = 0; i < count; i++) {
    const end = body.indexOf(0, offset);
    if (end === -1 || end + 19 > body.length) return undefined;
    const name = body.toString('utf8', offset, end);
    offset = end + 1;
    const tableOid = body.readUInt32BE(offset);
    const columnNumber = body.readInt16BE(offset + 4);
    const typeOid = body.readUInt32BE(offset + 6);
    const format = body.readInt16BE(offset + 16);
    offset += 18;
    columns.push({
      name,
      ...(tableOid === 0 ? {} : { table: String(tableOid) }),
      type: typeName(typeOid),
      tableOid,
      columnNumber,
      typeOid,
      format,
    });
  }
  return offset === body.length ? columns : undefined;
}

/** Byte ranges of each value in a DataRow ('D') body; -1 start means NULL. */
export function dataRowRanges(body: Buffer): { start: number; length: number }[] | undefined {
  if (body.length < 2) return undefined;
  const count = body.readInt16BE(0);
  const ranges: { start: number; length: number }[] = [];
  let offset = 2;
  for (let i = 0; i < count; i++) {
    if (offset + 4 > body.length) return undefined;
    const length = body.readInt32BE(offset);
    offset += 4;
    if (length === -1) {
      ranges.push({ start: -1, length: 0 });
      continue;
    }
    if (length < 0 || offset + length > body.length) return undefined;
    ranges.push({ start: offset, length });
    offset += length;
  }
  return offset === body.length ? ranges : undefined;
}

/** A DataRow with some values replaced (text as UTF-8, or the bytes given); untouched values are copied as they were. */
export function encodeDataRow(
  body: Buffer,
  ranges: readonly { start: number; length: number }[],
  patch: readonly (string | Buffer | null | undefined)[],
): Buffer {
  const writer = new MessageWriter(ServerCode.DataRow, body.length + 16).int16(ranges.length);
  for (let i = 0; i < ranges.length; i++) {
    const replacement = patch[i];
    const range = ranges[i]!;
    if (replacement === undefined) {
      if (range.start === -1) writer.int32(-1);
      else writer.int32(range.length).bytes(body.subarray(range.start, range.start + range.length));
    } else if (replacement === null) {
      writer.int32(-1);
    } else {
      const bytes = typeof replacement === 'string' ? Buffer.from(replacement, 'utf8') : replacement;
      writer.int32(bytes.length).bytes(bytes);
    }
  }
  return writer.finish();
}

/** Rows affected, from a CommandComplete tag such as `INSERT 0 5`, `UPDATE 3`, `SELECT 10`. */
export function affectedRows(tag: string): number | undefined {
  // `SELECT n`, `FETCH n` and `MOVE n` count rows returned or passed over, not rows changed.
  if (/^(SELECT|FETCH|MOVE) /.test(tag)) return undefined;
  const last = tag.slice(tag.lastIndexOf(' ') + 1);
  if (!/^\d+$/.test(last)) return undefined;
  return Number(last);
}

/** The SQLSTATE and message of an ErrorResponse ('E') body. */
export function decodeErrorFields(body: Buffer): { code?: string; message: string } {
  let code: string | undefined;
  let message = '';
  let offset = 0;
  while (offset < body.length && body[offset] !== 0) {
    const field = body[offset]!;
    const end = body.indexOf(0, offset + 1);
    if (end === -1) break;
    const value = body.toString('utf8', offset + 1, end);
    if (field === 0x43) code = value; // C
    else if (field === 0x4d) message = value; // M
    offset = end + 1;
  }
  return code === undefined ? { message } : { code, message };
}
