// Packet framing: the 8-byte header, packets split across chunks at every position, messages spanning packets.
import { describe, expect, it } from 'vitest';
import { PacketStatus, PacketType } from './codes.js';
import { isFramingError, MessageAssembler, PacketFramer, packetHeader, packetize, type Packet } from './packet.js';

/** MS-TDS 4.6: an SQLBatch request in one packet ("\nselect 'foo' as 'bar'\n" and 8 spaces). */
const SPEC_SQL_BATCH = Buffer.from(
  '0101005C00000100160000001200000002000000000000000001000000000A00' +
    '730065006C006500630074002000270066006F006F0027002000610073002000' +
    '270062006100720027000A0020002000200020002000200020002000',
  'hex',
);

describe('packet header', () => {
  it('reads the MS-TDS 4.6 example header: type, status, big-endian length, packet id', () => {
    const framer = new PacketFramer(4096);
    framer.push(SPEC_SQL_BATCH);
    const packet = framer.next() as Packet;
    expect(packet.type).toBe(PacketType.SqlBatch);
    expect(packet.status).toBe(PacketStatus.EndOfMessage);
    expect(packet.raw.length).toBe(0x5c);
    expect(packet.payload.length).toBe(0x5c - 8);
    expect(packet.raw[6]).toBe(1);
  });

  it('writes a header as the spec lays it out', () => {
    expect(packetHeader(PacketType.PreLogin, PacketStatus.EndOfMessage, 0x2f, 1).toString('hex')).toBe('1201002f00000100');
  });
});

describe('PacketFramer', () => {
  it('frames a packet split at every position, as views when it arrives whole', () => {
    for (let cut = 0; cut <= SPEC_SQL_BATCH.length; cut++) {
      const framer = new PacketFramer(4096);
      framer.push(SPEC_SQL_BATCH.subarray(0, cut));
      const early = framer.next();
      if (cut < SPEC_SQL_BATCH.length) expect(early).toBeUndefined();
      framer.push(SPEC_SQL_BATCH.subarray(cut));
      const packet = (cut < SPEC_SQL_BATCH.length ? framer.next() : early) as Packet;
      expect(packet.raw.equals(SPEC_SQL_BATCH)).toBe(true);
      expect(framer.next()).toBeUndefined();
    }
    const whole = new PacketFramer(4096);
    whole.push(SPEC_SQL_BATCH);
    expect((whole.next() as Packet).raw.buffer).toBe(SPEC_SQL_BATCH.buffer);
  });

  it('refuses a length below the header size or above the packet size', () => {
    const short = new PacketFramer(4096);
    short.push(Buffer.from('0101000400000100', 'hex'));
    expect(isFramingError(short.next())).toBe(true);
    const long = new PacketFramer(512);
    long.push(packetHeader(1, 1, 1000, 1));
    expect(isFramingError(long.next())).toBe(true);
  });
});

describe('messages over packets', () => {
  it('packetize splits at the packet size, END OF MESSAGE only on the last, ids counting up', () => {
    const payload = Buffer.alloc(1000, 7);
    const bytes = packetize(PacketType.TabularResult, payload, 512);
    const framer = new PacketFramer(512);
    framer.push(bytes);
    const packets = [framer.next(), framer.next()] as Packet[];
    expect(packets.map((p) => p.raw.length)).toEqual([512, 1000 - 504 + 8]);
    expect(packets.map((p) => p.status & PacketStatus.EndOfMessage)).toEqual([0, 1]);
    expect(packets.map((p) => p.raw[6])).toEqual([1, 2]);
    const assembler = new MessageAssembler(1 << 20);
    expect(assembler.add(packets[0]!)).toBeUndefined();
    const message = assembler.add(packets[1]!);
    expect(message && !isFramingError(message) && message.payload.equals(payload)).toBe(true);
  });

  it('keeps the RESETCONNECTION status of the first packet', () => {
    const bytes = packetize(PacketType.SqlBatch, Buffer.alloc(10), 4096, { status: PacketStatus.ResetConnection });
    const framer = new PacketFramer(4096);
    framer.push(bytes);
    const message = new MessageAssembler(100).add(framer.next() as Packet);
    expect(message && !isFramingError(message) && message.status).toBe(PacketStatus.ResetConnection | PacketStatus.EndOfMessage);
  });

  it('refuses a message larger than allowed and a packet of another type inside a message', () => {
    const framer = new PacketFramer(4096);
    framer.push(packetize(PacketType.SqlBatch, Buffer.alloc(200), 4096, { endOfMessage: false }));
    framer.push(packetize(PacketType.Rpc, Buffer.alloc(10), 4096));
    const assembler = new MessageAssembler(1 << 20);
    expect(assembler.add(framer.next() as Packet)).toBeUndefined();
    expect(isFramingError(assembler.add(framer.next() as Packet))).toBe(true);
    const small = new MessageAssembler(100);
    const f2 = new PacketFramer(4096);
    f2.push(packetize(PacketType.SqlBatch, Buffer.alloc(200), 4096));
    expect(isFramingError(small.add(f2.next() as Packet))).toBe(true);
  });
});
