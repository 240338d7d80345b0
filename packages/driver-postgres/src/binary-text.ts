// Binary-format values as text for plugins and back: built-in scalar types, and arrays of them.
import { arrayCodec } from './binary/arrays.js';
import { SCALAR_CODECS, type BinaryCodec } from './binary/scalars.js';
import type { ColumnDescription } from './results.js';

import { BinaryValueError } from './binary/value-error.js';

export { BinaryValueError };

const arrays = new Map<string, BinaryCodec | undefined>();

function codecFor(type: string): BinaryCodec | undefined {
  const scalar = SCALAR_CODECS.get(type);
  if (scalar || !type.startsWith('_')) return scalar;
  if (!arrays.has(type)) {
    const element = SCALAR_CODECS.get(type.slice(1));
    arrays.set(type, element && arrayCodec(type.slice(1), element));
  }
  return arrays.get(type);
}

/** Whether a binary-format value of this column can be shown to plugins as text (and written back). */
export function binaryAsText(column: ColumnDescription): boolean {
  return codecFor(column.type) !== undefined;
}

/** The value as PostgreSQL would print it; undefined when the server's bytes do not read as the type. */
export function decodeBinaryText(column: ColumnDescription, bytes: Buffer): string | undefined {
  try {
    return codecFor(column.type)?.decode(bytes);
  } catch {
    return undefined;
  }
}

/** The binary form of a plugin's replacement text; throws BinaryValueError when it is not a value of the type. */
export function encodeBinaryText(column: ColumnDescription, text: string): Buffer {
  const codec = codecFor(column.type);
  if (!codec) throw new BinaryValueError(column.type, 'cannot be written in binary format by Sluice');
  return codec.encode(text);
}
