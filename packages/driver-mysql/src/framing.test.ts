import { describe, expect, it } from 'vitest';
import { framePacket, isFramingError, PacketFramer, renumber, type Packet } from './framing.js';

const MAX = 0xffffff;

function packets(framer: PacketFramer): Packet[] {
  const out: Packet[] = [];
  for (;;) {
    const next = framer.next();
    if (next === undefined) return out;
    if (isFramingError(next)) throw new Error(next.error);
    out.push(next);
  }
}

describe('PacketFramer', () => {
  it('frames packets out of one chunk as views into it', () => {
    const chunk = Buffer.concat([framePacket(Buffer.from('hello'), 0), framePacket(Buffer.from([1, 2, 3]), 1)]);
    const framer = new PacketFramer(1 << 20);
    framer.push(chunk);
    const [first, second] = packets(framer);
    expect(first!.payload.toString()).toBe('hello');
    expect(first!.sequence).toBe(0);
    expect(first!.raw.buffer).toBe(chunk.buffer);
    expect([...second!.payload]).toEqual([1, 2, 3]);
    expect(second!.sequence).toBe(1);
  });

  it('frames a packet split at every position across two chunks', () => {
    const stream = Buffer.concat([framePacket(Buffer.from('first packet'), 3), framePacket(Buffer.alloc(0), 4), framePacket(Buffer.from('third'), 5)]);
    for (let split = 0; split <= stream.length; split++) {
      const framer = new PacketFramer(1 << 20);
      framer.push(Buffer.from(stream.subarray(0, split)));
      const got = packets(framer);
      framer.push(Buffer.from(stream.subarray(split)));
      got.push(...packets(framer));
      expect(got.map((p) => p.payload.toString())).toEqual(['first packet', '', 'third']);
      expect(got.map((p) => p.sequence)).toEqual([3, 4, 5]);
    }
  });

  it('joins a payload of exactly 16 MB with its empty continuation packet', () => {
    const payload = Buffer.alloc(MAX, 0x61);
    const raw = framePacket(payload, 7);
    expect(raw.length).toBe(MAX + 8);
    const framer = new PacketFramer(1 << 26);
    framer.push(raw);
    const [packet] = packets(framer);
    expect(packet!.parts).toBe(2);
    expect(packet!.sequence).toBe(7);
    expect(packet!.payload.length).toBe(MAX);
    expect(packet!.raw.length).toBe(raw.length);
  });

  it('joins a 40 MB payload from three physical packets, fed in uneven chunks', () => {
    const payload = Buffer.alloc(40 * 1024 * 1024);
    for (let i = 0; i < payload.length; i += 4096) payload[i] = i & 0xff;
    const raw = Buffer.concat([framePacket(payload, 254), framePacket(Buffer.from('after'), 1)]);
    const framer = new PacketFramer(1 << 27);
    for (let at = 0; at < raw.length; at += 3_000_017) framer.push(raw.subarray(at, Math.min(raw.length, at + 3_000_017)));
    const [big, after] = packets(framer);
    expect(big!.parts).toBe(3);
    expect(big!.payload.equals(payload)).toBe(true);
    expect(after!.payload.toString()).toBe('after');
    expect(after!.sequence).toBe(1);
  });

  it('refuses a packet above the limit before buffering it', () => {
    const framer = new PacketFramer(100);
    framer.push(Buffer.from([0xe8, 0x03, 0x00, 0x00]));
    const result = framer.next();
    expect(isFramingError(result)).toBe(true);
  });
});

describe('renumber', () => {
  it('rewrites the sequence id of every physical packet', () => {
    const raw = framePacket(Buffer.alloc(MAX + 10), 3);
    renumber(raw, 255);
    expect(raw[3]).toBe(255);
    expect(raw[4 + MAX + 3]).toBe(0);
  });
});
