// Packet builders for tests: column definitions, rows and framed packets as a server would send them.
import { framePacket } from '../framing.js';
import { PayloadWriter } from '../payload.js';

export function columnDefinitionPayload(column: {
  schema?: string;
  table?: string;
  orgTable?: string;
  name: string;
  charset?: number;
  typeId: number;
  flags?: number;
  decimals?: number;
}): Buffer {
  return new PayloadWriter(64)
    .lenencString('def')
    .lenencString(column.schema ?? 'test')
    .lenencString(column.table ?? 't')
    .lenencString(column.orgTable ?? column.table ?? 't')
    .lenencString(column.name)
    .lenencString(column.name)
    .lenenc(0x0c)
    .int2(column.charset ?? 45)
    .int4(255)
    .int1(column.typeId)
    .int2(column.flags ?? 0)
    .int1(column.decimals ?? 0)
    .int2(0)
    .finish();
}

export function textRowPayload(values: readonly (string | Buffer | null)[]): Buffer {
  const writer = new PayloadWriter(64);
  for (const value of values) {
    if (value === null) writer.int1(0xfb);
    else writer.lenencBytes(typeof value === 'string' ? Buffer.from(value, 'utf8') : value);
  }
  return writer.finish();
}

/** Frames several payloads with consecutive sequence ids from `first`. */
export function framed(payloads: readonly Buffer[], first = 1): Buffer {
  let sequence = first;
  return Buffer.concat(
    payloads.map((payload) => {
      const out = framePacket(payload, sequence);
      sequence += Math.floor(payload.length / 0xffffff) + 1;
      return out;
    }),
  );
}
