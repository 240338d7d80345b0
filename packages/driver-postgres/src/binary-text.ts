// Binary-format values of text-like types, as text for plugins and back: the only binary values plugins may read or replace.
import type { ColumnDescription } from './results.js';

const UTF8_TYPES = new Set(['text', 'varchar', 'bpchar', 'name', 'json', 'xml', 'unknown', 'char']);
const JSONB_VERSION = 1;

/** Whether a binary-format value of this column can be shown to plugins as text. */
export function binaryAsText(column: ColumnDescription): boolean {
  return UTF8_TYPES.has(column.type) || column.type === 'jsonb';
}

export function decodeBinaryText(column: ColumnDescription, bytes: Buffer): string | undefined {
  if (column.type === 'jsonb') return bytes[0] === JSONB_VERSION ? bytes.toString('utf8', 1) : undefined;
  return UTF8_TYPES.has(column.type) ? bytes.toString('utf8') : undefined;
}

export function encodeBinaryText(column: ColumnDescription, text: string): Buffer {
  const utf8 = Buffer.from(text, 'utf8');
  return column.type === 'jsonb' ? Buffer.concat([Buffer.from([JSONB_VERSION]), utf8]) : utf8;
}
