// COPY … TO STDOUT through the row hooks: the result set plugins see for it, and each CopyData
// message's rows decoded for the wanted columns, hooked, and re-encoded only when a value changed.
import type { Row, RowPatch } from '@sluice/core';
import { binaryAsText, decodeBinaryText, encodeBinaryText } from './binary-text.js';
import { CopyDataError, CopyRowReader, copyFieldText, encodeBinaryRow, encodeTextRow, type CopyField, type CopyFormat, type CopyRow } from './copy-rows.js';
import type { ColumnDescription } from './results.js';

/**
 * The columns of a COPY from its CopyOutResponse body: the described ones when there are as many as
 * the COPY sends, else `column1…n` (text; in binary, of no known type, so left undecoded). Undefined
 * when the message is malformed.
 */
export function copyOutColumns(body: Buffer, format: CopyFormat | undefined, described: readonly ColumnDescription[] | null | undefined): ColumnDescription[] | undefined {
  if (body.length < 3) return undefined;
  const count = body.readInt16BE(1);
  if (count < 0 || body.length !== 3 + 2 * count) return undefined;
  const binary = body[0] === 1;
  if (format && (format.kind === 'binary') !== binary) return undefined;
  const columns: ColumnDescription[] = [];
  for (let i = 0; i < count; i++) {
    const columnFormat = body.readInt16BE(3 + 2 * i);
    const known = described && described.length === count ? described[i] : undefined;
    columns.push(
      known
        ? { ...known, format: columnFormat }
        : { name: `column${i + 1}`, type: binary ? '0' : 'text', tableOid: 0, columnNumber: 0, typeOid: binary ? 0 : 25, format: columnFormat },
    );
  }
  return columns;
}

export class CopyOutFilter {
  readonly #reader: CopyRowReader;
  readonly #format: CopyFormat;
  readonly #columns: readonly ColumnDescription[];
  readonly #apply: (row: Row) => RowPatch | undefined;
  readonly #wanted: ReadonlySet<number> | 'all';

  constructor(format: CopyFormat, columns: readonly ColumnDescription[], apply: (row: Row) => RowPatch | undefined, wanted: ReadonlySet<number> | 'all') {
    this.#reader = new CopyRowReader(format);
    this.#format = format;
    this.#columns = columns;
    this.#apply = apply;
    this.#wanted = wanted;
  }

  /**
   * The CopyData body to send in place of this one: the same Buffer when no value changed. Throws
   * when the data cannot be read or a replacement cannot be written (the caller withholds the rest).
   */
  filter(data: Buffer): Buffer {
    const rows = this.#reader.rows(data);
    let parts: Buffer[] | undefined;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      const patch = row.fields ? this.#hook(data, row.fields) : undefined;
      if (patch) {
        parts ??= rows.slice(0, r).map((earlier) => data.subarray(earlier.start, earlier.end));
        parts.push(this.#encode(data, row, patch));
      } else {
        parts?.push(data.subarray(row.start, row.end));
      }
    }
    return parts ? Buffer.concat(parts) : data;
  }

  /** The row's replacements, or undefined when it stays as it is. */
  #hook(data: Buffer, fields: readonly CopyField[]): RowPatch | undefined {
    if (fields.length !== this.#columns.length) throw new CopyDataError(`a COPY row has ${fields.length} fields for ${this.#columns.length} columns`);
    const values: (string | null | undefined)[] = new Array(fields.length);
    for (let i = 0; i < fields.length; i++) {
      if (this.#wanted !== 'all' && !this.#wanted.has(i)) continue;
      const field = fields[i]!;
      if (this.#format.kind !== 'binary') values[i] = copyFieldText(this.#format, data, field);
      else if (field.isNull) values[i] = null;
      else if (binaryAsText(this.#columns[i]!)) values[i] = decodeBinaryText(this.#columns[i]!, data.subarray(field.start, field.end));
    }
    const patch = this.#apply({ values });
    return patch && patch.some((value) => value !== undefined) ? patch : undefined;
  }

  #encode(data: Buffer, row: CopyRow, patch: RowPatch): Buffer {
    if (this.#format.kind !== 'binary') return encodeTextRow(this.#format, data, row, patch);
    return encodeBinaryRow(
      data,
      row,
      patch.map((value, i) => (typeof value === 'string' ? encodeBinaryText(this.#columns[i]!, value) : value)),
    );
  }
}
