// Fuzz test: random and mutated message streams through MessageFramer and every decoder never throw.
import { describe, expect, it } from 'vitest';
import { decodePassword, decodeQuery, decodeSASLInitialResponse, decodeStartup } from './client-messages.js';
import { isFramingError, MessageFramer } from './framing.js';
import { affectedRows, dataRowRanges, decodeErrorFields, decodeRowDescription, encodeDataRow } from './results.js';
import {
  cancelRequest,
  commandComplete,
  dataRow,
  errorResponse,
  parse,
  query,
  readyForQuery,
  rowDescription,
  saslInitialResponse,
  sslRequest,
  startup,
  sync,
  typed,
} from './testing/messages.js';

/** Every failure names its seed and iteration; replay one with SLUICE_FUZZ_SEED=<seed>. */
const SEED = Number(process.env.SLUICE_FUZZ_SEED ?? 0x5eed_2024);
const ITERATIONS = 3_000;
const MAX_MESSAGE = 4_096;
const MAX_STARTUP = 1_024;

/** mulberry32: a tiny seeded PRNG, so a failing case replays exactly. */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (below: number) => Math.floor(next() * below);
  return {
    int,
    pick: <T>(items: readonly T[]): T => items[int(items.length)]!,
    bytes: (length: number) => Buffer.from(Array.from({ length }, () => int(256))),
    text: (length: number) => Array.from({ length }, () => String.fromCodePoint(int(4) === 0 ? 0x80 + int(0x2000) : 0x20 + int(0x5f))).join(''),
  };
}
type Random = ReturnType<typeof prng>;

/** A well-formed message of a random kind with random contents. */
function randomMessage(random: Random): Buffer {
  const value = () => (random.int(5) === 0 ? null : random.int(3) === 0 ? random.bytes(random.int(20)) : random.text(random.int(20)));
  switch (random.int(9)) {
    case 0:
      return query(random.text(random.int(60)));
    case 1:
      return parse(random.text(5), random.text(random.int(40)), Array.from({ length: random.int(4) }, () => random.int(5000)));
    case 2:
      return rowDescription(
        Array.from({ length: random.int(6) }, () => ({
          name: random.text(random.int(12)),
          tableOid: random.int(3) === 0 ? 0 : random.int(2 ** 31),
          columnNumber: random.int(30),
          typeOid: random.pick([23, 25, 1043, 1184, 3802, random.int(2 ** 31)]),
          format: random.int(2),
        })),
      );
    case 3:
      return dataRow(Array.from({ length: random.int(8) }, value));
    case 4:
      return commandComplete(random.pick(['INSERT 0 ', 'UPDATE ', 'SELECT ', 'CREATE TABLE', 'COPY ']) + random.int(1000));
    case 5:
      return errorResponse({ S: 'ERROR', C: random.text(5), M: random.text(random.int(50)) });
    case 6:
      return saslInitialResponse('SCRAM-SHA-256', random.int(4) === 0 ? null : random.bytes(random.int(40)));
    case 7:
      return random.pick([sync(), readyForQuery('T')]);
    default:
      return typed(random.int(256), random.bytes(random.int(64)));
  }
}

function randomStartupPacket(random: Random): Buffer {
  switch (random.int(4)) {
    case 0:
      return sslRequest();
    case 1:
      return cancelRequest(random.int(2 ** 31), random.bytes(random.pick([4, 32, random.int(300)])));
    default:
      return startup(Object.fromEntries(Array.from({ length: random.int(4) }, () => [random.text(random.int(10)), random.text(random.int(10))])));
  }
}

/** Flips bits, overwrites length fields, inserts, deletes or truncates bytes. */
function mutate(random: Random, stream: Buffer): Buffer {
  let bytes = Buffer.from(stream);
  for (let i = random.int(4); i >= 0; i--) {
    if (bytes.length === 0) return random.bytes(random.int(32));
    const at = random.int(bytes.length);
    switch (random.int(6)) {
      case 0:
        bytes[at] = bytes[at]! ^ (1 << random.int(8));
        break;
      case 1:
        bytes[at] = random.pick([0x00, 0xff, 0x7f, 0x80]);
        break;
      case 2:
        if (at + 4 <= bytes.length) bytes.writeInt32BE(random.pick([-1, 0, 3, 4, 5, 8, 0x7fffffff, -0x80000000, random.int(200)]), at);
        break;
      case 3:
        bytes = Buffer.concat([bytes.subarray(0, at), random.bytes(1 + random.int(8)), bytes.subarray(at)]);
        break;
      case 4:
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + random.int(8))]);
        break;
      default:
        bytes = bytes.subarray(0, at);
    }
  }
  return bytes;
}

/** Cuts `stream` into chunks of random sizes, one byte to the whole stream. */
function chunk(random: Random, stream: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < stream.length; ) {
    const size = 1 + random.int(random.int(3) === 0 ? 4 : stream.length);
    chunks.push(Buffer.from(stream.subarray(at, at + size)));
    at += size;
  }
  return chunks;
}

/** Every decoder, whatever the message's code says: none may throw on any body. */
function decodeEverything(random: Random, body: Buffer): void {
  decodeStartup(body);
  decodeQuery(body);
  decodePassword(body);
  decodeSASLInitialResponse(body);
  decodeRowDescription(body);
  decodeErrorFields(body);
  affectedRows(body.toString('utf8', 0, Math.max(0, body.length - 1)));
  const ranges = dataRowRanges(body);
  if (ranges) {
    const patch = ranges.map(() => random.pick([undefined, null, '', random.text(random.int(10))]));
    const encoded = encodeDataRow(body, ranges, patch);
    expect(dataRowRanges(encoded.subarray(5))).toHaveLength(ranges.length);
  }
}

/** Feeds the chunks, framing and decoding as it goes; stops at the first FramingError as the session would. */
function run(random: Random, chunks: readonly Buffer[], startupPackets: number): { frames: Buffer[]; failed: boolean } {
  const framer = new MessageFramer(MAX_MESSAGE);
  const frames: Buffer[] = [];
  let startupLeft = startupPackets;
  for (const piece of chunks) {
    framer.push(piece);
    for (;;) {
      if (startupLeft > 0) {
        const packet = framer.nextStartup(MAX_STARTUP);
        if (packet === undefined) break;
        if (isFramingError(packet)) return { frames, failed: true };
        expect(packet.raw.length).toBe(packet.body.length + 4);
        expect(packet.raw.readInt32BE(0)).toBe(packet.raw.length);
        frames.push(Buffer.from(packet.raw));
        decodeEverything(random, packet.body);
        startupLeft--;
        continue;
      }
      const frame = framer.next();
      if (frame === undefined) break;
      if (isFramingError(frame)) return { frames, failed: true };
      expect(frame.raw.length).toBe(frame.body.length + 5);
      expect(frame.raw.readInt32BE(1)).toBe(frame.raw.length - 1);
      frames.push(Buffer.from(frame.raw));
      decodeEverything(random, frame.body);
    }
  }
  framer.drain();
  return { frames, failed: false };
}

describe('framing and decoding fuzz', () => {
  it(`never throws on ${ITERATIONS} random and mutated streams (seed ${SEED})`, () => {
    const random = prng(SEED);
    let mutatedFailures = 0;
    for (let iteration = 0; iteration < ITERATIONS; iteration++) {
      const where = `seed ${SEED}, iteration ${iteration}`;
      const startupPackets = random.int(3) === 0 ? 1 + random.int(2) : 0;
      const messages = [
        ...Array.from({ length: startupPackets }, () => randomStartupPacket(random)),
        ...Array.from({ length: 1 + random.int(8) }, () => randomMessage(random)),
      ];
      const stream = Buffer.concat(messages);
      try {
        // Well-formed: every message comes back exactly, however the stream is chunked.
        const clean = run(random, chunk(random, stream), startupPackets);
        expect(clean.failed).toBe(false);
        expect(clean.frames.map((frame) => frame.toString('hex'))).toEqual(messages.map((message) => message.toString('hex')));
        // Mutated or pure noise: any answer is fine except an exception.
        const noisy = random.int(10) === 0 ? random.bytes(random.int(200)) : mutate(random, stream);
        if (run(random, chunk(random, noisy), startupPackets).failed) mutatedFailures++;
      } catch (error) {
        throw new Error(`${where}: ${(error as Error).message}`, { cause: error });
      }
    }
    // The mutations must actually reach the error paths, or this test proves little.
    expect(mutatedFailures).toBeGreaterThan(ITERATIONS / 20);
  });
});
