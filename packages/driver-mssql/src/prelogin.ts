// PRELOGIN payloads (MS-TDS 2.2.6.5): an option table of (token, offset, length), then the option data.
import { Encryption } from './codes.js';

export const enum PreloginOption {
  Version = 0x00,
  Encryption = 0x01,
  InstOpt = 0x02,
  ThreadId = 0x03,
  Mars = 0x04,
  TraceId = 0x05,
  FedAuthRequired = 0x06,
  Nonce = 0x07,
  Terminator = 0xff,
}

export interface Prelogin {
  /** Options by token, as raw bytes. */
  readonly options: ReadonlyMap<number, Buffer>;
  readonly encryption?: Encryption;
  readonly mars?: number;
  readonly fedAuthRequired?: number;
}

/** Decodes a PRELOGIN payload; undefined when the option table is malformed. */
export function decodePrelogin(payload: Buffer): Prelogin | undefined {
  const options = new Map<number, Buffer>();
  let at = 0;
  for (;;) {
    if (at >= payload.length) return undefined;
    const token = payload[at]!;
    if (token === PreloginOption.Terminator) break;
    if (at + 5 > payload.length) return undefined;
    const offset = payload.readUInt16BE(at + 1);
    const length = payload.readUInt16BE(at + 3);
    if (offset + length > payload.length) return undefined;
    options.set(token, payload.subarray(offset, offset + length));
    at += 5;
  }
  const one = (token: number) => {
    const value = options.get(token);
    return value && value.length >= 1 ? value[0] : undefined;
  };
  const encryption = one(PreloginOption.Encryption) as Encryption | undefined;
  const mars = one(PreloginOption.Mars);
  const fedAuthRequired = one(PreloginOption.FedAuthRequired);
  return {
    options,
    ...(encryption === undefined ? {} : { encryption }),
    ...(mars === undefined ? {} : { mars }),
    ...(fedAuthRequired === undefined ? {} : { fedAuthRequired }),
  };
}

/** Encodes options in the given order, the terminator after the table. */
export function encodePrelogin(options: readonly (readonly [number, Buffer])[]): Buffer {
  const table = options.length * 5 + 1;
  const data = options.reduce((sum, [, value]) => sum + value.length, 0);
  const out = Buffer.alloc(table + data);
  let at = 0;
  let offset = table;
  for (const [token, value] of options) {
    out[at] = token;
    out.writeUInt16BE(offset, at + 1);
    out.writeUInt16BE(value.length, at + 3);
    value.copy(out, offset);
    at += 5;
    offset += value.length;
  }
  out[at] = PreloginOption.Terminator;
  return out;
}

/** VERSION option data: major, minor, build (big-endian), sub-build. */
export function versionOption(major: number, minor: number, build: number, subBuild = 0): Buffer {
  const out = Buffer.alloc(6);
  out[0] = major;
  out[1] = minor;
  out.writeUInt16BE(build, 2);
  out.writeUInt16LE(subBuild, 4);
  return out;
}
