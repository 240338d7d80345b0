// The connection phase packets: server greeting (HandshakeV10), SSLRequest and HandshakeResponse41, auth switch.
import { Capability } from './constants.js';
import { decodeOrUndefined, PayloadReader, PayloadWriter } from './payload.js';

export interface Greeting {
  readonly protocol: number;
  readonly serverVersion: string;
  readonly connectionId: number;
  /** The 20-byte scramble (auth-plugin-data, without the trailing NUL). */
  readonly scramble: Buffer;
  readonly capabilities: number;
  readonly charset: number;
  readonly status: number;
  readonly authPlugin: string;
  /** MariaDB's extended capabilities (only when CLIENT_MYSQL, bit 0, is clear). */
  readonly mariadbCapabilities: number;
}

export function encodeGreeting(greeting: Omit<Greeting, 'protocol'>): Buffer {
  const scramble = greeting.scramble;
  return new PayloadWriter(128)
    .int1(10)
    .nulString(greeting.serverVersion)
    .int4(greeting.connectionId)
    .bytes(scramble.subarray(0, 8))
    .int1(0)
    .int2(greeting.capabilities & 0xffff)
    .int1(greeting.charset)
    .int2(greeting.status)
    .int2(greeting.capabilities >>> 16)
    .int1(scramble.length + 1)
    .zeros(6)
    .int4(greeting.capabilities & Capability.LONG_PASSWORD ? 0 : greeting.mariadbCapabilities)
    .bytes(scramble.subarray(8))
    .int1(0)
    .nulString(greeting.authPlugin)
    .finish();
}

export function decodeGreeting(payload: Buffer): Greeting | undefined {
  return decodeOrUndefined(() => {
    const reader = new PayloadReader(payload);
    const protocol = reader.int1();
    if (protocol !== 10) return undefined;
    const serverVersion = reader.nulString();
    const connectionId = reader.int4();
    const part1 = reader.bytes(8);
    reader.int1();
    let capabilities = reader.int2();
    let charset = 0;
    let status = 0;
    let part2: Buffer = Buffer.alloc(0);
    let authPlugin = 'mysql_native_password';
    let mariadbCapabilities = 0;
    if (reader.remaining > 0) {
      charset = reader.int1();
      status = reader.int2();
      capabilities |= reader.int2() << 16;
      const dataLength = reader.int1();
      const reserved = reader.bytes(10);
      if (!(capabilities & Capability.LONG_PASSWORD)) mariadbCapabilities = reserved.readUInt32LE(6);
      if (capabilities & Capability.SECURE_CONNECTION) {
        part2 = reader.bytes(Math.max(13, dataLength - 8));
        // The scramble is NUL-terminated: drop the terminator.
        if (part2[part2.length - 1] === 0) part2 = part2.subarray(0, part2.length - 1);
      }
      if (capabilities & Capability.PLUGIN_AUTH) {
        const end = reader.buffer.indexOf(0, reader.offset);
        authPlugin = (end === -1 ? reader.rest() : reader.nulBytes()).toString('utf8');
      }
    }
    return {
      protocol,
      serverVersion,
      connectionId,
      scramble: Buffer.concat([part1, part2]),
      capabilities: capabilities >>> 0,
      charset,
      status,
      authPlugin,
      mariadbCapabilities,
    };
  });
}

export interface HandshakeResponse {
  readonly capabilities: number;
  readonly maxPacket: number;
  readonly charset: number;
  readonly user: string;
  readonly authResponse: Buffer;
  readonly database?: string;
  readonly authPlugin?: string;
  /** Connection attributes, in order. */
  readonly attributes: readonly (readonly [string, string])[];
  /** MariaDB's extended capabilities, in the last 4 filler bytes when CLIENT_MYSQL is clear. */
  readonly mariadbCapabilities?: number;
}

/** An SSLRequest is the first 32 bytes of a HandshakeResponse41 with CLIENT_SSL set. */
export function isSslRequest(payload: Buffer): boolean {
  return payload.length === 32 && (payload.readUInt32LE(0) & Capability.SSL) !== 0;
}

export function decodeSslRequest(payload: Buffer): { capabilities: number; charset: number } {
  return { capabilities: payload.readUInt32LE(0), charset: payload[8]! };
}

export function decodeHandshakeResponse(payload: Buffer): HandshakeResponse | undefined {
  return decodeOrUndefined(() => {
    const reader = new PayloadReader(payload);
    const capabilities = reader.int4();
    if (!(capabilities & Capability.PROTOCOL_41)) return undefined;
    const maxPacket = reader.int4();
    const charset = reader.int1();
    const filler = reader.bytes(23);
    const mariadbCapabilities = capabilities & Capability.LONG_PASSWORD ? 0 : filler.readUInt32LE(19);
    const user = reader.nulString();
    let authResponse: Buffer;
    if (capabilities & Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA) authResponse = reader.lenencBytes();
    else if (capabilities & Capability.SECURE_CONNECTION) authResponse = reader.bytes(reader.int1());
    else authResponse = reader.nulBytes();
    let database: string | undefined;
    if (capabilities & Capability.CONNECT_WITH_DB && reader.remaining > 0) database = reader.nulString();
    let authPlugin: string | undefined;
    if (capabilities & Capability.PLUGIN_AUTH && reader.remaining > 0) {
      // Some clients omit the terminator when nothing follows.
      const end = reader.buffer.indexOf(0, reader.offset);
      authPlugin = (end === -1 ? reader.rest() : reader.nulBytes()).toString('utf8');
    }
    const attributes: [string, string][] = [];
    if (capabilities & Capability.CONNECT_ATTRS && reader.remaining > 0) {
      const attrs = new PayloadReader(reader.lenencBytes());
      while (attrs.remaining > 0) attributes.push([attrs.lenencString(), attrs.lenencString()]);
    }
    return {
      capabilities: capabilities >>> 0,
      maxPacket,
      charset,
      user,
      authResponse: Buffer.from(authResponse),
      ...(database === undefined || database === '' ? {} : { database }),
      ...(authPlugin === undefined ? {} : { authPlugin }),
      attributes,
      mariadbCapabilities,
    };
  });
}

export function encodeSslRequest(capabilities: number, charset: number, maxPacket: number, mariadbCapabilities = 0): Buffer {
  return new PayloadWriter(32).int4(capabilities).int4(maxPacket).int1(charset).zeros(19).int4(mariadbCapabilities).finish();
}

export function encodeHandshakeResponse(response: HandshakeResponse): Buffer {
  const writer = new PayloadWriter(128)
    .int4(response.capabilities)
    .int4(response.maxPacket)
    .int1(response.charset)
    .zeros(19)
    .int4(response.capabilities & Capability.LONG_PASSWORD ? 0 : (response.mariadbCapabilities ?? 0))
    .nulString(response.user);
  if (response.capabilities & Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA) writer.lenencBytes(response.authResponse);
  else writer.int1(response.authResponse.length).bytes(response.authResponse);
  if (response.capabilities & Capability.CONNECT_WITH_DB) writer.nulString(response.database ?? '');
  if (response.capabilities & Capability.PLUGIN_AUTH) writer.nulString(response.authPlugin ?? '');
  if (response.capabilities & Capability.CONNECT_ATTRS) {
    const attrs = new PayloadWriter(64);
    for (const [key, value] of response.attributes) attrs.lenencString(key).lenencString(value);
    writer.lenencBytes(attrs.finish());
  }
  return writer.finish();
}

export function encodeAuthSwitch(plugin: string, data: Buffer): Buffer {
  return new PayloadWriter(64).int1(0xfe).nulString(plugin).bytes(data).finish();
}

/** An auth switch request: plugin name and its data (the trailing NUL of a scramble removed). */
export function decodeAuthSwitch(payload: Buffer): { plugin: string; data: Buffer } | undefined {
  return decodeOrUndefined(() => {
    const reader = new PayloadReader(payload, 1);
    if (reader.remaining === 0) return { plugin: 'mysql_old_password', data: Buffer.alloc(0) };
    const plugin = reader.nulString();
    let data = reader.rest();
    if (data.length > 0 && data[data.length - 1] === 0) data = data.subarray(0, data.length - 1);
    return { plugin, data: Buffer.from(data) };
  });
}
