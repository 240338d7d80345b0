// PRELOGIN payloads (MS-TDS 2.2.6.5): the client's options and the server's answer.

export const enum Encryption {
  Off = 0x00,
  On = 0x01,
  NotSupported = 0x02,
  Required = 0x03,
}

const enum Option {
  Version = 0x00,
  Encryption = 0x01,
  InstOpt = 0x02,
  ThreadId = 0x03,
  Mars = 0x04,
  TraceId = 0x05,
  FedAuthRequired = 0x06,
  Terminator = 0xff,
}

export interface PreloginRequest {
  readonly encryption: Encryption;
  readonly mars: boolean;
  readonly fedAuthRequired: boolean;
  readonly options: ReadonlyMap<number, Buffer>;
}

export function parsePrelogin(payload: Buffer): PreloginRequest | Error {
  const options = new Map<number, Buffer>();
  let at = 0;
  for (;;) {
    if (at >= payload.length) return new Error('PRELOGIN without a terminator');
    const token = payload[at]!;
    if (token === Option.Terminator) break;
    if (at + 5 > payload.length) return new Error('PRELOGIN option header cut short');
    const offset = payload.readUInt16BE(at + 1);
    const length = payload.readUInt16BE(at + 3);
    if (offset + length > payload.length) return new Error(`PRELOGIN option 0x${token.toString(16)} points past the payload`);
    options.set(token, payload.subarray(offset, offset + length));
    at += 5;
  }
  const encryption = options.get(Option.Encryption);
  if (!encryption || encryption.length < 1) return new Error('PRELOGIN without an ENCRYPTION option');
  const value = encryption[0]!;
  if (value > Encryption.Required) return new Error(`PRELOGIN ENCRYPTION value 0x${value.toString(16)} is unknown`);
  return {
    encryption: value as Encryption,
    mars: (options.get(Option.Mars)?.[0] ?? 0) === 1,
    fedAuthRequired: (options.get(Option.FedAuthRequired)?.[0] ?? 0) === 1,
    options,
  };
}

/** The server's PRELOGIN answer: version 16.0.1000 (SQL Server 2022), the chosen encryption, MARS off. */
export function buildPreloginResponse(encryption: Encryption): Buffer {
  const fields: [Option, Buffer][] = [
    [Option.Version, Buffer.from([16, 0, 0x03, 0xe8, 0, 0])],
    [Option.Encryption, Buffer.from([encryption])],
    [Option.InstOpt, Buffer.from([0])],
    [Option.ThreadId, Buffer.alloc(0)],
    [Option.Mars, Buffer.from([0])],
  ];
  const headerLength = fields.length * 5 + 1;
  const header = Buffer.alloc(headerLength);
  const data: Buffer[] = [];
  let offset = headerLength;
  fields.forEach(([token, value], index) => {
    header[index * 5] = token;
    header.writeUInt16BE(offset, index * 5 + 1);
    header.writeUInt16BE(value.length, index * 5 + 3);
    data.push(value);
    offset += value.length;
  });
  header[headerLength - 1] = Option.Terminator;
  return Buffer.concat([header, ...data]);
}
