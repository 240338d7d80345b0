// Fuzz test: random and mutated bytes through the packet framer, the token stream and every request decoder never throw anything unexpected.
import { describe, expect, it } from 'vitest';
import { decodeRpc, decodeSqlBatch, decodeTransactionRequest } from './client-requests.js';
import { DoneStatus, Token } from './codes.js';
import { decodeLogin7 } from './login7.js';
import { MessageAssembler, PacketFramer, isFramingError, type Packet } from './packet.js';
import { decodePrelogin } from './prelogin.js';
import { doneToken, envChangeText, loginAckToken, messageToken } from './server-tokens.js';
import { loginPacket, preloginPacket, sqlBatchPacket, textResult } from './testing/wire.js';
import { TokenStream } from './token-stream.js';
import { TokenError } from './tokens.js';

/** Every failure names its seed; replay one with SLUICE_FUZZ_SEED=<seed>. */
const SEED = Number(process.env.SLUICE_FUZZ_SEED ?? 0x7d5_2026);
const ITERATIONS = 3_000;

function prng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(random: () => number, input: Buffer): Buffer {
  const out = Buffer.from(input);
  const edits = 1 + Math.floor(random() * 4);
  for (let i = 0; i < edits && out.length > 0; i++) {
    const at = Math.floor(random() * out.length);
    const kind = random();
    if (kind < 0.6) out[at] = Math.floor(random() * 256);
    else if (kind < 0.8) out[at] = [0x00, 0xff, 0x7f, 0x80][Math.floor(random() * 4)]!;
    else return Buffer.concat([out.subarray(0, at), out.subarray(Math.min(out.length, at + 1 + Math.floor(random() * 8)))]);
  }
  return out;
}

const randomBytes = (random: () => number, max: number) => Buffer.from(Array.from({ length: Math.floor(random() * max) }, () => Math.floor(random() * 256)));

const TOKEN_CORPUS = Buffer.concat([
  messageToken('info', { number: 5701, severity: 0, message: 'context changed' }),
  envChangeText(1, 'db', 'master'),
  loginAckToken(0x74000004, 'server', 1),
  textResult('email', ['a@example.com', 'b@example.org', '']),
  messageToken('error', { number: 208, severity: 16, message: "Invalid object name 'x'." }),
  doneToken(Token.Done, DoneStatus.Final),
]);

describe('fuzz', () => {
  it(`packet framing never throws and always makes progress (seed ${SEED})`, () => {
    const random = prng(SEED);
    const corpus = [preloginPacket(), loginPacket('alice', 'pw'), sqlBatchPacket('select 1')];
    for (let i = 0; i < ITERATIONS; i++) {
      const bytes = random() < 0.3 ? randomBytes(random, 200) : mutate(random, corpus[i % corpus.length]!);
      const framer = new PacketFramer(4096);
      const assembler = new MessageAssembler(1 << 16);
      // Split in random places, as a network would.
      let at = 0;
      while (at < bytes.length) {
        const step = 1 + Math.floor(random() * 64);
        framer.push(bytes.subarray(at, at + step));
        at += step;
        for (let packet = framer.next(); packet !== undefined && !isFramingError(packet); packet = framer.next()) assembler.add(packet as Packet);
      }
      expect(framer.buffered).toBeLessThanOrEqual(bytes.length);
    }
  });

  it(`the token stream throws only TokenError on malformed server bytes (seed ${SEED})`, () => {
    const random = prng(SEED + 1);
    for (let i = 0; i < ITERATIONS; i++) {
      const bytes = random() < 0.2 ? randomBytes(random, 300) : mutate(random, TOKEN_CORPUS);
      const stream = new TokenStream();
      try {
        let at = 0;
        while (at < bytes.length) {
          const step = 1 + Math.floor(random() * 100);
          stream.push(bytes.subarray(at, at + step));
          at += step;
          for (let token = stream.next(); token; token = stream.next()) expect(token.end).toBeGreaterThan(token.start);
        }
      } catch (error) {
        if (!(error instanceof TokenError)) throw new Error(`iteration ${i}: ${(error as Error).stack}`);
      }
    }
  });

  it(`request and login decoders return undefined for malformed input, never throw (seed ${SEED})`, () => {
    const random = prng(SEED + 2);
    const corpus = [preloginPacket(), loginPacket('alice', 'secret'), sqlBatchPacket('select 1')].map((p) => p.subarray(8));
    for (let i = 0; i < ITERATIONS; i++) {
      const bytes = random() < 0.3 ? randomBytes(random, 300) : mutate(random, corpus[i % corpus.length]!);
      expect(() => {
        decodePrelogin(bytes);
        decodeLogin7(bytes);
        decodeSqlBatch(bytes);
        decodeRpc(bytes);
        decodeTransactionRequest(bytes);
      }).not.toThrow();
    }
  });
});
