// Arrays in PostgreSQL's binary format, to and from the array literal PostgreSQL prints (`{a,"b c",NULL}`).
import { builtinTypeOid, typeName } from '../type-names.js';
import type { BinaryCodec } from './scalars.js';
import { BinaryValueError } from './value-error.js';

type Nested = (string | null | Nested)[];

const MAX_DIMENSIONS = 6;

export function arrayCodec(elementType: string, element: BinaryCodec): BinaryCodec {
  const type = `${elementType}[]`;
  return {
    decode(bytes) {
      const { dims, lowerBounds, elementOid, values } = readArray(bytes, type, element);
      if (typeName(elementOid) !== elementType) throw new BinaryValueError(type, 'holds elements of another type');
      if (dims.length === 0) return '{}';
      const bounds = lowerBounds.every((lower) => lower === 1)
        ? ''
        : `${dims.map((size, i) => `[${lowerBounds[i]!}:${lowerBounds[i]! + size - 1}]`).join('')}=`;
      let next = 0;
      const write = (depth: number): string => {
        const items: string[] = [];
        for (let i = 0; i < dims[depth]!; i++) items.push(depth + 1 < dims.length ? write(depth + 1) : quote(values[next++]!));
        return `{${items.join(',')}}`;
      };
      return bounds + write(0);
    },
    encode(text) {
      const oid = builtinTypeOid(elementType);
      if (oid === undefined) throw new BinaryValueError(type, 'has an element type Sluice cannot encode');
      const { lowerBounds, body } = splitBounds(text.trim(), type);
      const nested = parseLiteral(body, type);
      const dims = dimensionsOf(nested, type);
      const flat = nested.flat(MAX_DIMENSIONS) as (string | null)[];
      const parts: Buffer[] = [];
      const header = Buffer.alloc(12 + dims.length * 8);
      header.writeInt32BE(dims.length, 0);
      header.writeInt32BE(flat.includes(null) ? 1 : 0, 4);
      header.writeUInt32BE(oid, 8);
      dims.forEach((size, i) => {
        header.writeInt32BE(size, 12 + i * 8);
        header.writeInt32BE(lowerBounds?.[i] ?? 1, 16 + i * 8);
      });
      parts.push(header);
      for (const value of flat) {
        const length = Buffer.alloc(4);
        if (value === null) {
          length.writeInt32BE(-1, 0);
          parts.push(length);
          continue;
        }
        const encoded = element.encode(value);
        length.writeInt32BE(encoded.length, 0);
        parts.push(length, encoded);
      }
      return Buffer.concat(parts);
    },
  };
}

function readArray(bytes: Buffer, type: string, element: BinaryCodec) {
  if (bytes.length < 12) throw new BinaryValueError(type, 'is too short');
  const ndim = bytes.readInt32BE(0);
  if (ndim < 0 || ndim > MAX_DIMENSIONS) throw new BinaryValueError(type, 'has a bad dimension count');
  const elementOid = bytes.readUInt32BE(8);
  const dims: number[] = [];
  const lowerBounds: number[] = [];
  let offset = 12;
  for (let i = 0; i < ndim; i++) {
    if (offset + 8 > bytes.length) throw new BinaryValueError(type, 'is truncated');
    dims.push(bytes.readInt32BE(offset));
    lowerBounds.push(bytes.readInt32BE(offset + 4));
    offset += 8;
  }
  const count = dims.reduce((product, size) => product * size, ndim === 0 ? 0 : 1);
  const values: (string | null)[] = [];
  for (let i = 0; i < count; i++) {
    if (offset + 4 > bytes.length) throw new BinaryValueError(type, 'is truncated');
    const length = bytes.readInt32BE(offset);
    offset += 4;
    if (length === -1) {
      values.push(null);
      continue;
    }
    if (length < 0 || offset + length > bytes.length) throw new BinaryValueError(type, 'is truncated');
    values.push(element.decode(bytes.subarray(offset, offset + length)));
    offset += length;
  }
  if (offset !== bytes.length) throw new BinaryValueError(type, 'has trailing bytes');
  return { dims, lowerBounds, elementOid, values };
}

/** How array_out writes one element: quoted when it could be misread. */
function quote(value: string | null): string {
  if (value === null) return 'NULL';
  if (value !== '' && value.toUpperCase() !== 'NULL' && !/[{}",\\\s]/.test(value)) return value;
  return `"${value.replace(/["\\]/g, (char) => `\\${char}`)}"`;
}

function splitBounds(text: string, type: string): { lowerBounds?: number[]; body: string } {
  if (!text.startsWith('[')) return { body: text };
  const at = text.indexOf('=');
  if (at === -1) throw new BinaryValueError(type, 'has unreadable bounds');
  const lowerBounds = [...text.slice(0, at).matchAll(/\[(-?\d+):(-?\d+)\]/g)].map((match) => Number(match[1]));
  return { lowerBounds, body: text.slice(at + 1).trim() };
}

function parseLiteral(text: string, type: string): Nested {
  let at = 0;
  const fail = (): never => {
    throw new BinaryValueError(type, 'is not an array literal');
  };
  const skipSpace = () => {
    while (at < text.length && /\s/.test(text[at]!)) at++;
  };
  const list = (): Nested => {
    if (text[at] !== '{') fail();
    at++;
    const items: Nested = [];
    skipSpace();
    if (text[at] === '}') {
      at++;
      return items;
    }
    for (;;) {
      skipSpace();
      if (text[at] === '{') items.push(list());
      else if (text[at] === '"') items.push(quoted());
      else items.push(bare());
      skipSpace();
      if (text[at] === ',') {
        at++;
        continue;
      }
      if (text[at] === '}') {
        at++;
        return items;
      }
      fail();
    }
  };
  const quoted = (): string => {
    at++;
    let value = '';
    while (at < text.length && text[at] !== '"') {
      if (text[at] === '\\') at++;
      value += text[at++] ?? '';
    }
    if (text[at] !== '"') fail();
    at++;
    return value;
  };
  const bare = (): string | null => {
    let value = '';
    while (at < text.length && !',}'.includes(text[at]!)) {
      if (text[at] === '\\') at++;
      value += text[at++] ?? '';
    }
    value = value.trim();
    if (value === '') fail();
    return value.toUpperCase() === 'NULL' ? null : value;
  };
  const result = list();
  skipSpace();
  if (at !== text.length) fail();
  return result;
}

function dimensionsOf(nested: Nested, type: string): number[] {
  if (nested.length === 0) return [];
  const dims: number[] = [];
  let level: Nested | string | null = nested;
  while (Array.isArray(level)) {
    dims.push(level.length);
    level = level[0] ?? null;
  }
  if (dims.length > MAX_DIMENSIONS) throw new BinaryValueError(type, 'has too many dimensions');
  const check = (items: Nested, depth: number): void => {
    if (items.length !== dims[depth]) throw new BinaryValueError(type, 'is not rectangular');
    for (const item of items) {
      if (Array.isArray(item) !== depth + 1 < dims.length) throw new BinaryValueError(type, 'is not rectangular');
      if (Array.isArray(item)) check(item, depth + 1);
    }
  };
  check(nested, 0);
  return dims;
}
