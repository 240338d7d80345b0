// Binary-format codecs of PostgreSQL's scalar types, to and from the text PostgreSQL prints for them.
import { isIP } from 'node:net';
import { decodeDate, decodeTime, decodeTimestamp, decodeTimetz, encodeDate, encodeTime, encodeTimestamp, encodeTimetz } from './datetime.js';
import { decodeNumeric, encodeNumeric } from './numeric.js';
import { BinaryValueError } from './value-error.js';

export interface BinaryCodec {
  decode(bytes: Buffer): string;
  encode(text: string): Buffer;
}

const JSONB_VERSION = 1;
const INET_FAMILY = { v4: 2, v6: 3 } as const;

const utf8: BinaryCodec = {
  decode: (bytes) => bytes.toString('utf8'),
  encode: (text) => Buffer.from(text, 'utf8'),
};

function integer(type: string, size: 2 | 4 | 8, unsigned = false): BinaryCodec {
  return {
    decode(bytes) {
      if (bytes.length !== size) throw new BinaryValueError(type, `has ${bytes.length} bytes, not ${size}`);
      if (size === 8) return String(bytes.readBigInt64BE(0));
      if (unsigned) return String(bytes.readUInt32BE(0));
      return String(size === 2 ? bytes.readInt16BE(0) : bytes.readInt32BE(0));
    },
    encode(text) {
      const trimmed = text.trim();
      if (!/^[+-]?\d+$/.test(trimmed)) throw new BinaryValueError(type, 'is not an integer');
      const out = Buffer.alloc(size);
      try {
        if (size === 8) out.writeBigInt64BE(BigInt(trimmed), 0);
        else if (unsigned) out.writeUInt32BE(Number(trimmed), 0);
        else if (size === 4) out.writeInt32BE(Number(trimmed), 0);
        else out.writeInt16BE(Number(trimmed), 0);
      } catch {
        throw new BinaryValueError(type, 'is out of range');
      }
      return out;
    },
  };
}

function float(type: string, size: 4 | 8): BinaryCodec {
  return {
    decode(bytes) {
      if (bytes.length !== size) throw new BinaryValueError(type, `has ${bytes.length} bytes, not ${size}`);
      return size === 4 ? float4Text(bytes.readFloatBE(0)) : floatText(bytes.readDoubleBE(0));
    },
    encode(text) {
      const value = floatValue(text, type);
      const out = Buffer.alloc(size);
      if (size === 4) out.writeFloatBE(value, 0);
      else out.writeDoubleBE(value, 0);
      return out;
    },
  };
}

function floatText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return Object.is(value, -0) ? '-0' : String(value);
}

/** The shortest decimal that reads back as the same float4, as PostgreSQL prints it. */
function float4Text(value: number): string {
  if (!Number.isFinite(value) || value === 0) return floatText(value);
  for (let precision = 1; precision < 9; precision++) {
    const candidate = Number(value.toPrecision(precision));
    if (Math.fround(candidate) === value) return String(candidate);
  }
  return String(value);
}

function floatValue(text: string, type: string): number {
  const trimmed = text.trim();
  const lowered = trimmed.toLowerCase();
  if (lowered === 'nan') return NaN;
  if (lowered === 'infinity' || lowered === '+infinity' || lowered === 'inf') return Infinity;
  if (lowered === '-infinity' || lowered === '-inf') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed)) throw new BinaryValueError(type, 'is not a number');
  return Number(trimmed);
}

const bool: BinaryCodec = {
  decode(bytes) {
    if (bytes.length !== 1) throw new BinaryValueError('bool', 'is not one byte');
    return bytes[0] ? 't' : 'f';
  },
  encode(text) {
    const lowered = text.trim().toLowerCase();
    if (['t', 'true', 'y', 'yes', 'on', '1'].includes(lowered)) return Buffer.from([1]);
    if (['f', 'false', 'n', 'no', 'off', '0'].includes(lowered)) return Buffer.from([0]);
    throw new BinaryValueError('bool', 'is not a boolean');
  },
};

const uuid: BinaryCodec = {
  decode(bytes) {
    if (bytes.length !== 16) throw new BinaryValueError('uuid', 'is not 16 bytes');
    const hex = bytes.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  },
  encode(text) {
    const hex = text.trim().replace(/^\{|\}$/g, '').replace(/-/g, '');
    if (!/^[0-9a-f]{32}$/i.test(hex)) throw new BinaryValueError('uuid', 'is not a UUID');
    return Buffer.from(hex, 'hex');
  },
};

const bytea: BinaryCodec = {
  decode: (bytes) => `\\x${bytes.toString('hex')}`,
  encode(text) {
    if (!text.startsWith('\\x')) return Buffer.from(text, 'utf8');
    const hex = text.slice(2);
    if (!/^([0-9a-f]{2})*$/i.test(hex)) throw new BinaryValueError('bytea', 'is not hex');
    return Buffer.from(hex, 'hex');
  },
};

const jsonb: BinaryCodec = {
  decode(bytes) {
    if (bytes[0] !== JSONB_VERSION) throw new BinaryValueError('jsonb', 'has an unknown version');
    return bytes.toString('utf8', 1);
  },
  encode: (text) => Buffer.concat([Buffer.from([JSONB_VERSION]), Buffer.from(text, 'utf8')]),
};

/** `"char"`: one byte, shown as that character. */
const singleChar: BinaryCodec = {
  decode: (bytes) => bytes.toString('latin1'),
  encode: (text) => Buffer.from(text, 'latin1').subarray(0, 1),
};

function network(cidr: boolean): BinaryCodec {
  const type = cidr ? 'cidr' : 'inet';
  return {
    decode(bytes) {
      if (bytes.length < 4 || bytes.length !== 4 + bytes[3]!) throw new BinaryValueError(type, 'has a bad length');
      const [family, bits] = [bytes[0]!, bytes[1]!];
      const address = bytes.subarray(4);
      let text: string;
      if (family === INET_FAMILY.v4 && address.length === 4) text = [...address].join('.');
      else if (family === INET_FAMILY.v6 && address.length === 16) text = ipv6Text(address);
      else throw new BinaryValueError(type, 'has an unknown address family');
      const full = family === INET_FAMILY.v4 ? 32 : 128;
      return cidr || bits !== full ? `${text}/${bits}` : text;
    },
    encode(text) {
      const [address = '', bitsText] = text.trim().split('/');
      const version = isIP(address);
      if (version === 0) throw new BinaryValueError(type, 'is not an IP address');
      const bytes = version === 4 ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address);
      const full = version === 4 ? 32 : 128;
      const bits = bitsText === undefined ? full : Number(bitsText);
      if (!Number.isInteger(bits) || bits < 0 || bits > full) throw new BinaryValueError(type, 'has a bad netmask');
      return Buffer.concat([Buffer.from([version === 4 ? INET_FAMILY.v4 : INET_FAMILY.v6, bits, cidr ? 1 : 0, bytes.length]), bytes]);
    },
  };
}

function ipv6Text(bytes: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));
  // The longest run of two or more zero groups becomes `::`, as inet_ntop writes it.
  let [bestStart, bestLength] = [-1, 0];
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  // IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d) addresses end in dotted form.
  const dotted = () => [...bytes.subarray(12)].join('.');
  if (bestStart === 0 && bestLength === 6) return `::${dotted()}`;
  if (bestStart === 0 && bestLength === 5 && groups[5] === 0xffff) return `::ffff:${dotted()}`;
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail] = address.split('::');
  const parts = (text: string) => (text === '' ? [] : text.split(':'));
  const expand = (items: string[]) =>
    items.flatMap((item) => (item.includes('.') ? (() => {
      const [a, b, c, d] = item.split('.').map(Number) as [number, number, number, number];
      return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
    })() : [item]));
  const left = expand(parts(head));
  const right = tail === undefined ? [] : expand(parts(tail));
  const zeros = new Array<string>(8 - left.length - right.length).fill('0');
  const out = Buffer.alloc(16);
  [...left, ...zeros, ...right].forEach((group, i) => out.writeUInt16BE(parseInt(group, 16), i * 2));
  return out;
}

const macaddr: BinaryCodec = {
  decode(bytes) {
    if (bytes.length !== 6) throw new BinaryValueError('macaddr', 'is not 6 bytes');
    return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(':');
  },
  encode(text) {
    const hex = text.trim().replace(/[:.-]/g, '');
    if (!/^[0-9a-f]{12}$/i.test(hex)) throw new BinaryValueError('macaddr', 'is not a MAC address');
    return Buffer.from(hex, 'hex');
  },
};

export const SCALAR_CODECS: ReadonlyMap<string, BinaryCodec> = new Map<string, BinaryCodec>([
  ...['text', 'varchar', 'bpchar', 'name', 'json', 'xml', 'unknown', 'jsonpath'].map((type) => [type, utf8] as const),
  ['char', singleChar],
  ['jsonb', jsonb],
  ['bool', bool],
  ['int2', integer('int2', 2)],
  ['int4', integer('int4', 4)],
  ['int8', integer('int8', 8)],
  ['oid', integer('oid', 4, true)],
  ['float4', float('float4', 4)],
  ['float8', float('float8', 8)],
  ['numeric', { decode: decodeNumeric, encode: encodeNumeric }],
  ['date', { decode: decodeDate, encode: encodeDate }],
  ['time', { decode: decodeTime, encode: encodeTime }],
  ['timetz', { decode: decodeTimetz, encode: encodeTimetz }],
  ['timestamp', { decode: (bytes) => decodeTimestamp(bytes, false), encode: (text) => encodeTimestamp(text, false) }],
  ['timestamptz', { decode: (bytes) => decodeTimestamp(bytes, true), encode: (text) => encodeTimestamp(text, true) }],
  ['uuid', uuid],
  ['bytea', bytea],
  ['inet', network(false)],
  ['cidr', network(true)],
  ['macaddr', macaddr],
]);
