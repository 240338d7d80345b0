// The rows of COPY … TO STDOUT data (text, CSV, binary): split into fields, values read as text, and
// rows with replaced values written back exactly as PostgreSQL writes them. Fields a plugin did not
// replace keep their original bytes.

/** How the COPY writes its data: PostgreSQL's options, with the defaults of the format filled in. */
export interface CopyFormat {
  readonly kind: 'text' | 'csv' | 'binary';
  /** Text and CSV: one single-byte character each. */
  readonly delimiter: string;
  readonly null: string;
  readonly quote: string;
  readonly escape: string;
  /** The first line of text or CSV data names the columns. */
  readonly header: boolean;
}

export function copyFormat(kind: CopyFormat['kind'], options: Partial<Omit<CopyFormat, 'kind'>> = {}): CopyFormat {
  const csv = kind === 'csv';
  const quote = options.quote ?? '"';
  return {
    kind,
    delimiter: options.delimiter ?? (csv ? ',' : '\t'),
    null: options.null ?? (csv ? '' : '\\N'),
    quote,
    escape: options.escape ?? quote,
    header: options.header ?? false,
  };
}

/** One field's bytes in the data; `quoted` for a CSV field written in quotes. */
export interface CopyField {
  readonly start: number;
  readonly end: number;
  readonly isNull: boolean;
  readonly quoted: boolean;
}

/** One row (or, in binary, the header or trailer: no fields) and where it lies in the data. */
export interface CopyRow {
  readonly start: number;
  readonly end: number;
  /** Undefined for what is no row: the header line, binary's file header and trailer. */
  readonly fields?: readonly CopyField[];
}

export class CopyDataError extends Error {}

const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
export const BINARY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/**
 * Reads the COPY data of one CopyData message. Rows must be whole: PostgreSQL sends one row per
 * message, and a row split across messages is refused rather than guessed at.
 */
export class CopyRowReader {
  readonly format: CopyFormat;
  #headerPending: boolean;

  constructor(format: CopyFormat) {
    this.format = format;
    this.#headerPending = format.kind === 'binary' || format.header;
  }

  rows(data: Buffer): CopyRow[] {
    const rows: CopyRow[] = [];
    let offset = 0;
    while (offset < data.length) {
      const row = this.format.kind === 'binary' ? this.#binaryRow(data, offset) : this.#textRow(data, offset);
      rows.push(row);
      offset = row.end;
    }
    return rows;
  }

  /** A text or CSV line: fields split at delimiters outside escapes and quotes, ended by a newline. */
  #textRow(data: Buffer, start: number): CopyRow {
    const { delimiter, quote, escape } = this.format;
    const csv = this.format.kind === 'csv';
    const delimiterByte = delimiter.charCodeAt(0);
    const quoteByte = quote.charCodeAt(0);
    const escapeByte = escape.charCodeAt(0);
    const fields: CopyField[] = [];
    let fieldStart = start;
    let quoted = false;
    let inQuotes = false;
    for (let i = start; i < data.length; i++) {
      const byte = data[i]!;
      if (csv) {
        if (inQuotes) {
          if (byte === escapeByte && escapeByte !== quoteByte && (data[i + 1] === quoteByte || data[i + 1] === escapeByte)) i++;
          else if (byte === quoteByte && quoteByte === escapeByte && data[i + 1] === quoteByte) i++;
          else if (byte === quoteByte) inQuotes = false;
          continue;
        }
        if (byte === quoteByte && i === fieldStart) {
          inQuotes = true;
          quoted = true;
          continue;
        }
      } else if (byte === BACKSLASH) {
        i++;
        continue;
      }
      if (byte === delimiterByte || byte === NEWLINE) {
        fields.push(this.#field(data, fieldStart, i, quoted));
        fieldStart = i + 1;
        quoted = false;
        if (byte === NEWLINE) {
          if (this.#headerPending) {
            this.#headerPending = false;
            return { start, end: i + 1 };
          }
          return { start, end: i + 1, fields };
        }
      }
    }
    throw new CopyDataError('a COPY row does not end within its CopyData message');
  }

  #field(data: Buffer, start: number, end: number, quoted: boolean): CopyField {
    const isNull = !quoted && end - start === Buffer.byteLength(this.format.null) && data.toString('utf8', start, end) === this.format.null;
    return { start, end, isNull, quoted };
  }

  #binaryRow(data: Buffer, start: number): CopyRow {
    if (this.#headerPending) {
      if (data.length < start + 19 || !data.subarray(start, start + 11).equals(BINARY_SIGNATURE)) throw new CopyDataError('binary COPY data without its header');
      const extension = data.readInt32BE(start + 15);
      const end = start + 19 + extension;
      if (extension < 0 || end > data.length) throw new CopyDataError('binary COPY header does not end within its CopyData message');
      this.#headerPending = false;
      return { start, end };
    }
    if (data.length < start + 2) throw new CopyDataError('a binary COPY tuple does not end within its CopyData message');
    const count = data.readInt16BE(start);
    if (count === -1) return { start, end: start + 2 };
    if (count < 0) throw new CopyDataError('malformed binary COPY tuple');
    const fields: CopyField[] = [];
    let offset = start + 2;
    for (let i = 0; i < count; i++) {
      if (offset + 4 > data.length) throw new CopyDataError('a binary COPY tuple does not end within its CopyData message');
      const length = data.readInt32BE(offset);
      offset += 4;
      if (length === -1) {
        fields.push({ start: offset, end: offset, isNull: true, quoted: false });
        continue;
      }
      if (length < 0 || offset + length > data.length) throw new CopyDataError('a binary COPY tuple does not end within its CopyData message');
      fields.push({ start: offset, end: offset + length, isNull: false, quoted: false });
      offset += length;
    }
    return { start, end: offset, fields };
  }
}

/** A text or CSV field's value as text (binary fields are read by the type's codec). */
export function copyFieldText(format: CopyFormat, data: Buffer, field: CopyField): string | null {
  if (field.isNull) return null;
  const raw = data.toString('utf8', field.start, field.end);
  if (format.kind === 'csv') return field.quoted ? unquoteCsv(raw, format) : raw;
  return raw.includes('\\') ? unescapeText(raw) : raw;
}

const TEXT_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

function unescapeText(raw: string): string {
  return raw.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|[\s\S])/g, (_match, escaped: string) => {
    if (/^[0-7]+$/.test(escaped)) return String.fromCharCode(parseInt(escaped, 8));
    if (/^x[0-9a-fA-F]+$/.test(escaped)) return String.fromCharCode(parseInt(escaped.slice(1), 16));
    return TEXT_ESCAPES[escaped] ?? escaped;
  });
}

function unquoteCsv(raw: string, format: CopyFormat): string {
  const inner = raw.slice(1, -1);
  let value = '';
  for (let i = 0; i < inner.length; i++) {
    const char = inner[i]!;
    if (char === format.escape && (inner[i + 1] === format.quote || inner[i + 1] === format.escape)) {
      value += inner[i + 1];
      i++;
    } else {
      value += char;
    }
  }
  return value;
}

/** A value written as PostgreSQL's COPY TO writes it in text format (CopyAttributeOutText). */
export function escapeText(value: string, format: CopyFormat): string {
  let out = '';
  for (const char of value) {
    const code = char.charCodeAt(0);
    if (code < 0x20) {
      const named = { 8: 'b', 12: 'f', 10: 'n', 13: 'r', 9: 't', 11: 'v' }[code];
      if (named) {
        out += `\\${named}`;
        continue;
      }
      if (char === format.delimiter) {
        out += `\\${char}`;
        continue;
      }
      out += char;
    } else if (char === '\\' || char === format.delimiter) {
      out += `\\${char}`;
    } else {
      out += char;
    }
  }
  return out;
}

/**
 * A value written as PostgreSQL writes it in CSV (CopyAttributeOutCSV): quoted when it holds the
 * delimiter, quote, a line break, equals the NULL string, is `\.` alone, or `forceQuote` (the
 * original field was quoted: FORCE_QUOTE).
 */
export function quoteCsv(value: string, format: CopyFormat, forceQuote: boolean, onlyColumn: boolean): string {
  const needsQuotes =
    forceQuote ||
    value === format.null ||
    (onlyColumn && value === '\\.') ||
    [...value].some((char) => char === format.delimiter || char === format.quote || char === '\n' || char === '\r');
  if (!needsQuotes) return value;
  let out = format.quote;
  for (const char of value) out += char === format.quote || char === format.escape ? format.escape + char : char;
  return out + format.quote;
}

/**
 * A text or CSV row with some values replaced (`undefined` keeps a field's bytes, `null` writes the
 * NULL string); delimiters and the newline as they were.
 */
export function encodeTextRow(format: CopyFormat, data: Buffer, row: CopyRow, patch: readonly (string | null | undefined)[]): Buffer {
  const fields = row.fields!;
  const parts: Buffer[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    const replacement = patch[i];
    if (replacement === undefined) parts.push(data.subarray(field.start, field.end));
    else if (replacement === null) parts.push(Buffer.from(format.null, 'utf8'));
    else if (format.kind === 'csv') parts.push(Buffer.from(quoteCsv(replacement, format, field.quoted, fields.length === 1), 'utf8'));
    else parts.push(Buffer.from(escapeText(replacement, format), 'utf8'));
    // The byte after a field is its delimiter, or the row's newline.
    parts.push(data.subarray(field.end, field.end + 1));
  }
  return Buffer.concat(parts);
}

/** A binary tuple with some fields replaced by the bytes given (`null` writes NULL). */
export function encodeBinaryRow(data: Buffer, row: CopyRow, patch: readonly (Buffer | null | undefined)[]): Buffer {
  const fields = row.fields!;
  const parts: Buffer[] = [data.subarray(row.start, row.start + 2)];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    const replacement = patch[i];
    const length = Buffer.alloc(4);
    if (replacement === undefined) {
      parts.push(data.subarray(field.start - 4, field.end));
      continue;
    }
    length.writeInt32BE(replacement === null ? -1 : replacement.length);
    parts.push(length);
    if (replacement !== null) parts.push(replacement);
  }
  return Buffer.concat(parts);
}

