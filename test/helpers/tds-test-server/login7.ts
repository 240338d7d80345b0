// LOGIN7 (MS-TDS 2.2.6.4): the client's login record, with the password de-obfuscated.

export const enum Feature {
  SessionRecovery = 0x01,
  FedAuth = 0x02,
  Utf8Support = 0x0a,
  Terminator = 0xff,
}

export interface Login7 {
  readonly tdsVersion: number;
  readonly packetSize: number;
  readonly hostName: string;
  readonly userName: string;
  readonly password: string;
  readonly appName: string;
  readonly serverName: string;
  readonly libraryName: string;
  readonly language: string;
  readonly database: string;
  /** Feature extensions the client asked for, by id. */
  readonly features: ReadonlyMap<number, Buffer>;
}

const FIXED_LENGTH = 94;
const OPTION_FLAGS_3 = 27;
const F_EXTENSION = 0x10;

/** Undoes the LOGIN7 password obfuscation: XOR 0xA5, then swap the nibbles of each byte. */
export function deobfuscatePassword(bytes: Buffer): string {
  const plain = Buffer.allocUnsafe(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]! ^ 0xa5;
    plain[i] = ((b & 0x0f) << 4) | (b >> 4);
  }
  return plain.toString('utf16le');
}

export function parseLogin7(payload: Buffer): Login7 | Error {
  if (payload.length < FIXED_LENGTH) return new Error(`LOGIN7 of ${payload.length} bytes is shorter than its fixed part`);
  const declared = payload.readUInt32LE(0);
  if (declared > payload.length) return new Error(`LOGIN7 declares ${declared} bytes but carries ${payload.length}`);
  const field = (at: number): Buffer | Error => {
    const offset = payload.readUInt16LE(at);
    const chars = payload.readUInt16LE(at + 2);
    if (offset + chars * 2 > payload.length) return new Error(`LOGIN7 field at ${at} points past the record`);
    return payload.subarray(offset, offset + chars * 2);
  };
  const names = [36, 40, 44, 48, 52, 60, 64, 68].map(field);
  for (const value of names) if (value instanceof Error) return value;
  const [host, user, password, app, server, library, language, database] = names as Buffer[];
  const features = new Map<number, Buffer>();
  if ((payload[OPTION_FLAGS_3]! & F_EXTENSION) !== 0) {
    const pointerAt = payload.readUInt16LE(56);
    if (pointerAt + 4 > payload.length) return new Error('LOGIN7 extension pointer past the record');
    let at = payload.readUInt32LE(pointerAt);
    for (;;) {
      if (at >= payload.length) return new Error('LOGIN7 feature extensions without a terminator');
      const id = payload[at]!;
      if (id === Feature.Terminator) break;
      if (at + 5 > payload.length) return new Error('LOGIN7 feature header cut short');
      const length = payload.readUInt32LE(at + 1);
      if (at + 5 + length > payload.length) return new Error(`LOGIN7 feature 0x${id.toString(16)} runs past the record`);
      features.set(id, payload.subarray(at + 5, at + 5 + length));
      at += 5 + length;
    }
  }
  return {
    tdsVersion: payload.readUInt32LE(4),
    packetSize: payload.readUInt32LE(8),
    hostName: host!.toString('utf16le'),
    userName: user!.toString('utf16le'),
    password: deobfuscatePassword(password!),
    appName: app!.toString('utf16le'),
    serverName: server!.toString('utf16le'),
    libraryName: library!.toString('utf16le'),
    language: language!.toString('utf16le'),
    database: database!.toString('utf16le'),
    features,
  };
}
