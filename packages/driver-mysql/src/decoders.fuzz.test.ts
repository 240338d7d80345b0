// Fuzz: every decoder of both directions takes random and mutated bytes without throwing; bad input is `undefined` or a FramingError.
import { describe, expect, it } from 'vitest';
import { decodeColumnDefinition, type ColumnDefinition } from './columns.js';
import { Capability, ColumnType } from './constants.js';
import { framePacket, isFramingError, PacketFramer } from './framing.js';
import { decodeAuthSwitch, decodeGreeting, decodeHandshakeResponse, encodeGreeting, encodeHandshakeResponse, isSslRequest } from './handshake.js';
import { decodeEof, decodeErr, decodeOk, errPayload, okPayload } from './packets.js';
import { binaryRowRanges, binaryValueText, encodeBinaryRow, textRowRanges } from './rows.js';
import { decodeExecuteParams, recordLongData, type PreparedStatement } from './statements.js';
import { columnDefinitionPayload, textRowPayload } from './testing/packets.js';

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ITERATIONS = 1_500;

function mutate(random: () => number, seed: Buffer): Buffer {
  const out = Buffer.from(seed);
  const kind = Math.floor(random() * 4);
  if (kind === 0 && out.length > 0) {
    for (let i = 0; i < 1 + Math.floor(random() * 4); i++) out[Math.floor(random() * out.length)] = Math.floor(random() * 256);
    return out;
  }
  if (kind === 1) return out.subarray(0, Math.floor(random() * (out.length + 1)));
  if (kind === 2) return Buffer.concat([out, randomBytes(random, Math.floor(random() * 16))]);
  return randomBytes(random, Math.floor(random() * 64));
}

function randomBytes(random: () => number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

const GREETING = encodeGreeting({
  serverVersion: '5.5.5-10.11.19-MariaDB',
  connectionId: 7,
  scramble: Buffer.from('abcdefghijklmnopqrst'),
  capabilities: 0xf7fe | (0x81bf << 16), // CLIENT_MYSQL clear: MariaDB's extended capabilities follow
  charset: 45,
  status: 2,
  authPlugin: 'mysql_native_password',
  mariadbCapabilities: 0x1d,
});
const RESPONSE = encodeHandshakeResponse({
  capabilities: Capability.PROTOCOL_41 | Capability.PLUGIN_AUTH | Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA | Capability.CONNECT_WITH_DB | Capability.CONNECT_ATTRS | Capability.SECURE_CONNECTION,
  maxPacket: 1 << 24,
  charset: 45,
  user: 'alice',
  authResponse: Buffer.alloc(32, 9),
  database: 'test',
  authPlugin: 'caching_sha2_password',
  attributes: [['_client_name', 'fuzz'], ['program_name', 'x']],
});
const COLUMNS: ColumnDefinition[] = [ColumnType.Long, ColumnType.VarString, ColumnType.DateTime, ColumnType.Double, ColumnType.Time, ColumnType.NewDecimal].map((typeId) => ({
  name: 'c',
  type: '',
  typeId,
  flags: 0,
  charset: 45,
  decimals: 6,
}));
const BINARY_ROW = Buffer.concat([
  Buffer.from([0x00, 0x00]),
  Buffer.from([5, 0, 0, 0]),
  Buffer.from([3, 0x61, 0x62, 0x63]),
  Buffer.from([7, 0xe8, 0x07, 1, 2, 3, 4, 5]),
  Buffer.alloc(8),
  Buffer.from([8, 0, 1, 0, 0, 0, 2, 3, 4]),
  Buffer.from([4, 0x31, 0x2e, 0x35, 0x30]),
]);

describe('decoder fuzz', () => {
  it('the client-side decoders (handshake response, SSL request, execute parameters) never throw', () => {
    const random = prng(1);
    const statement: PreparedStatement = { sql: 'select ?, ?, ?', paramCount: 3, columnCount: 0, longData: new Map() };
    const execute = Buffer.from([0x17, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0x00, 0x01, 0x03, 0x00, 0xfd, 0x00, 0x0c, 0x00, 5, 0, 0, 0, 2, 0x68, 0x69, 7, 0xe8, 0x07, 1, 2, 3, 4, 5]);
    expect(decodeHandshakeResponse(RESPONSE)?.user).toBe('alice');
    expect(decodeExecuteParams(execute, { ...statement, longData: new Map() })).toEqual(['5', 'hi', '2024-01-02 03:04:05']);
    for (let i = 0; i < ITERATIONS; i++) {
      const response = mutate(random, RESPONSE);
      expect(() => decodeHandshakeResponse(response)).not.toThrow();
      expect(() => isSslRequest(response)).not.toThrow();
      const packet = mutate(random, execute);
      const copy: PreparedStatement = { ...statement, longData: new Map() };
      expect(() => decodeExecuteParams(packet, copy)).not.toThrow();
      expect(() => recordLongData(packet, new Map([[1, copy]]))).not.toThrow();
    }
  });

  it('the server-side decoders (greeting, OK, ERR, EOF, auth switch, columns, rows) never throw', () => {
    const random = prng(2);
    const seeds = [GREETING, okPayload({ affectedRows: 3, status: 2, info: 'Rows matched: 3' }, Capability.SESSION_TRACK), errPayload({ code: 1064, state: '42000', message: 'syntax' }), Buffer.from([0xfe, 0, 0, 2, 0])];
    const column = columnDefinitionPayload({ name: 'email', typeId: ColumnType.VarString });
    const textRow = textRowPayload(['1', 'ann@example.com', null]);
    for (let i = 0; i < ITERATIONS; i++) {
      const payload = mutate(random, seeds[i % seeds.length]!);
      expect(() => decodeGreeting(payload)).not.toThrow();
      expect(() => decodeOk(payload)).not.toThrow();
      expect(() => decodeErr(payload)).not.toThrow();
      expect(() => decodeEof(payload)).not.toThrow();
      expect(() => decodeAuthSwitch(payload)).not.toThrow();
      expect(() => decodeColumnDefinition(mutate(random, column))).not.toThrow();
      expect(() => textRowRanges(mutate(random, textRow), 3)).not.toThrow();
      const binary = mutate(random, BINARY_ROW);
      const ranges = binaryRowRanges(binary, COLUMNS);
      if (ranges) {
        // Whatever parses must also print and re-encode.
        for (let c = 0; c < ranges.length; c++) if (ranges[c]!.start !== -1) expect(() => binaryValueText(binary, ranges[c]!, COLUMNS[c]!)).not.toThrow();
        expect(() => encodeBinaryRow(binary, ranges, COLUMNS, ['x', 'y', null, undefined, 'z', '1'])).not.toThrow();
      }
    }
  });

  it('the framer takes random streams in random chunks and only ever yields packets or errors', () => {
    const random = prng(3);
    for (let i = 0; i < 500; i++) {
      const framer = new PacketFramer(1 << 16);
      const stream = random() < 0.5 ? randomBytes(random, 200) : Buffer.concat([framePacket(mutate(random, GREETING), 0), randomBytes(random, 20)]);
      let at = 0;
      while (at < stream.length) {
        const take = 1 + Math.floor(random() * 40);
        framer.push(stream.subarray(at, at + take));
        at += take;
        for (;;) {
          const next = framer.next();
          if (next === undefined || isFramingError(next)) break;
          expect(next.raw.length).toBe(next.payload.length + 4 * next.parts);
        }
      }
    }
  });
});
