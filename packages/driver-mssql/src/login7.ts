// LOGIN7 (MS-TDS 2.2.6.4): decoding the client's login, and building the upstream one.
import { Cursor } from './cursor.js';

/** The fixed part of LOGIN7 before the variable data. */
const FIXED_LENGTH = 94;
const OPTION_FLAGS2_INTEGRATED_SECURITY = 0x80;
const OPTION_FLAGS3_CHANGE_PASSWORD = 0x01;
const OPTION_FLAGS3_EXTENSION = 0x10;

export const enum FeatureId {
  SessionRecovery = 0x01,
  FedAuth = 0x02,
  ColumnEncryption = 0x04,
  GlobalTransactions = 0x05,
  AzureSqlSupport = 0x08,
  DataClassification = 0x09,
  Utf8Support = 0x0a,
  AzureSqlDnsCaching = 0x0b,
  Terminator = 0xff,
}

/** FEDAUTH libraries (MS-TDS 2.2.6.4 FeatureExt). */
export const enum FedAuthLibrary {
  Live = 0x00,
  SecurityToken = 0x01,
  Adal = 0x02,
}

export interface Feature {
  readonly id: number;
  readonly data: Buffer;
}

export interface Login7 {
  readonly tdsVersion: number;
  readonly packetSize: number;
  readonly clientProgVer: number;
  readonly clientPid: number;
  readonly optionFlags1: number;
  readonly optionFlags2: number;
  readonly typeFlags: number;
  readonly optionFlags3: number;
  readonly clientTimeZone: number;
  readonly clientLcid: number;
  readonly hostName: string;
  readonly userName: string;
  readonly password: string;
  readonly appName: string;
  readonly serverName: string;
  readonly clientInterfaceName: string;
  readonly language: string;
  readonly database: string;
  readonly clientId: Buffer;
  /** Integrated (SSPI) authentication data, when the client asked for it. */
  readonly sspi: Buffer;
  readonly attachDbFile: string;
  readonly changePassword: string;
  readonly features: readonly Feature[];
}

export interface FedAuthFeature {
  readonly library: number;
  readonly echo: boolean;
  /** The security token (library SECURITYTOKEN). */
  readonly token?: string;
}

/** Passwords travel nibble-swapped and XORed with 0xA5, byte by byte. */
export function obfuscatePassword(password: string): Buffer {
  const bytes = Buffer.from(password, 'utf16le');
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    bytes[i] = (((b << 4) & 0xf0) | (b >> 4)) ^ 0xa5;
  }
  return bytes;
}

export function deobfuscatePassword(bytes: Buffer): string {
  const out = Buffer.allocUnsafe(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]! ^ 0xa5;
    out[i] = ((b << 4) & 0xf0) | (b >> 4);
  }
  return out.toString('utf16le');
}

/** Decodes LOGIN7; undefined when an offset or length points outside the message. */
export function decodeLogin7(payload: Buffer): Login7 | undefined {
  try {
    return decode(payload);
  } catch {
    return undefined;
  }
}

function decode(payload: Buffer): Login7 | undefined {
  if (payload.length < FIXED_LENGTH) return undefined;
  const length = payload.readUInt32LE(0);
  if (length > payload.length || length < FIXED_LENGTH) return undefined;
  const body = payload.subarray(0, length);
  const range = (at: number, unit: 1 | 2): Buffer => {
    const offset = body.readUInt16LE(at);
    const size = body.readUInt16LE(at + 2) * unit;
    if (size === 0) return Buffer.alloc(0);
    if (offset < FIXED_LENGTH || offset + size > body.length) throw new RangeError('LOGIN7 field out of range');
    return body.subarray(offset, offset + size);
  };
  const text = (at: number) => range(at, 2).toString('utf16le');
  const optionFlags3 = body[27]!;
  let features: Feature[] = [];
  if (optionFlags3 & OPTION_FLAGS3_EXTENSION) {
    const pointer = range(56, 1);
    if (pointer.length < 4) return undefined;
    const featureOffset = pointer.readUInt32LE(0);
    if (featureOffset < FIXED_LENGTH || featureOffset >= body.length) return undefined;
    const parsed = decodeFeatures(body.subarray(featureOffset));
    if (!parsed) return undefined;
    features = parsed;
  }
  let sspi = range(78, 1);
  const sspiLong = body.readUInt32LE(90);
  if (sspi.length === 0xffff && sspiLong > 0) {
    const offset = body.readUInt16LE(78);
    if (offset + sspiLong > body.length) return undefined;
    sspi = body.subarray(offset, offset + sspiLong);
  }
  return {
    tdsVersion: body.readUInt32LE(4),
    packetSize: body.readUInt32LE(8),
    clientProgVer: body.readUInt32LE(12),
    clientPid: body.readUInt32LE(16),
    optionFlags1: body[24]!,
    optionFlags2: body[25]!,
    typeFlags: body[26]!,
    optionFlags3,
    clientTimeZone: body.readInt32LE(28),
    clientLcid: body.readUInt32LE(32),
    hostName: text(36),
    userName: text(40),
    password: deobfuscatePassword(range(44, 2)),
    appName: text(48),
    serverName: text(52),
    clientInterfaceName: text(60),
    language: text(64),
    database: text(68),
    clientId: Buffer.from(body.subarray(72, 78)),
    sspi,
    attachDbFile: text(82),
    changePassword: deobfuscatePassword(range(86, 2)),
    features,
  };
}

/** FeatureExt: (id, 4-byte length, data)* then 0xFF. */
export function decodeFeatures(data: Buffer): Feature[] | undefined {
  const features: Feature[] = [];
  const cursor = new Cursor(data);
  try {
    for (;;) {
      const id = cursor.u8();
      if (id === FeatureId.Terminator) return features;
      const length = cursor.u32();
      features.push({ id, data: cursor.bytes(length) });
    }
  } catch {
    return undefined;
  }
}

export function decodeFedAuth(feature: Feature): FedAuthFeature | undefined {
  const cursor = new Cursor(feature.data);
  try {
    const options = cursor.u8();
    const library = options >> 1;
    const echo = (options & 1) === 1;
    if (library !== FedAuthLibrary.SecurityToken) return { library, echo };
    const length = cursor.u32();
    return { library, echo, token: cursor.bytes(length).toString('utf16le') };
  } catch {
    return undefined;
  }
}

export interface Login7Fields {
  readonly tdsVersion: number;
  readonly packetSize: number;
  readonly clientProgVer?: number;
  readonly clientPid?: number;
  readonly optionFlags1?: number;
  readonly optionFlags2?: number;
  readonly typeFlags?: number;
  readonly optionFlags3?: number;
  readonly clientTimeZone?: number;
  readonly clientLcid?: number;
  readonly hostName: string;
  readonly userName: string;
  readonly password: string;
  readonly appName: string;
  readonly serverName: string;
  readonly clientInterfaceName: string;
  readonly language: string;
  readonly database: string;
  readonly clientId?: Buffer;
  readonly features: readonly Feature[];
}

/** Encodes LOGIN7 with SQL authentication (no SSPI, no password change). */
export function encodeLogin7(fields: Login7Fields): Buffer {
  const strings: Buffer[] = [];
  const header = Buffer.alloc(FIXED_LENGTH);
  let dataOffset = FIXED_LENGTH;
  const put = (at: number, bytes: Buffer, count: number) => {
    header.writeUInt16LE(dataOffset, at);
    header.writeUInt16LE(count, at + 2);
    strings.push(bytes);
    dataOffset += bytes.length;
  };
  const putText = (at: number, value: string) => put(at, Buffer.from(value, 'utf16le'), value.length);
  const hasFeatures = fields.features.length > 0;
  putText(36, fields.hostName);
  putText(40, fields.userName);
  put(44, obfuscatePassword(fields.password), fields.password.length);
  putText(48, fields.appName);
  putText(52, fields.serverName);
  // Extension: a 4-byte pointer to FeatureExt, which goes after all other data.
  const pointer = Buffer.alloc(hasFeatures ? 4 : 0);
  put(56, pointer, pointer.length);
  putText(60, fields.clientInterfaceName);
  putText(64, fields.language);
  putText(68, fields.database);
  (fields.clientId ?? Buffer.alloc(6)).copy(header, 72, 0, 6);
  put(78, Buffer.alloc(0), 0);
  put(82, Buffer.alloc(0), 0);
  put(86, Buffer.alloc(0), 0);
  header.writeUInt32LE(0, 90);
  let featureBytes: Buffer = Buffer.alloc(0);
  if (hasFeatures) {
    pointer.writeUInt32LE(dataOffset, 0);
    featureBytes = encodeFeatures(fields.features);
  }
  const total = dataOffset + featureBytes.length;
  header.writeUInt32LE(total, 0);
  header.writeUInt32LE(fields.tdsVersion, 4);
  header.writeUInt32LE(fields.packetSize, 8);
  header.writeUInt32LE(fields.clientProgVer ?? 0, 12);
  header.writeUInt32LE(fields.clientPid ?? process.pid, 16);
  header.writeUInt32LE(0, 20);
  header[24] = fields.optionFlags1 ?? 0xe0;
  header[25] = (fields.optionFlags2 ?? 0x03) & ~OPTION_FLAGS2_INTEGRATED_SECURITY;
  header[26] = fields.typeFlags ?? 0;
  header[27] = ((fields.optionFlags3 ?? 0) & ~OPTION_FLAGS3_CHANGE_PASSWORD & ~OPTION_FLAGS3_EXTENSION) | (hasFeatures ? OPTION_FLAGS3_EXTENSION : 0);
  header.writeInt32LE(fields.clientTimeZone ?? 0, 28);
  header.writeUInt32LE(fields.clientLcid ?? 0x0409, 32);
  return Buffer.concat([header, ...strings, featureBytes]);
}

export function encodeFeatures(features: readonly Feature[]): Buffer {
  const parts: Buffer[] = [];
  for (const feature of features) {
    const head = Buffer.alloc(5);
    head[0] = feature.id;
    head.writeUInt32LE(feature.data.length, 1);
    parts.push(head, feature.data);
  }
  parts.push(Buffer.from([FeatureId.Terminator]));
  return Buffer.concat(parts);
}
