// PRELOGIN against the MS-TDS 4.1 example and tedious's own PRELOGIN reader.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Encryption } from './codes.js';
import { decodePrelogin, encodePrelogin, PreloginOption, versionOption } from './prelogin.js';

/** MS-TDS 4.1, packet data after the 8-byte header. */
const SPEC_PRELOGIN = Buffer.from('00001A000601002000010200210001030022000404002600' + '01FF09000000000001' + '00B80D000001', 'hex');

describe('PRELOGIN', () => {
  it('decodes the MS-TDS 4.1 example: version 9.0.0.0, encryption ON, empty instance, thread id, MARS on', () => {
    const prelogin = decodePrelogin(SPEC_PRELOGIN)!;
    expect(prelogin.options.get(PreloginOption.Version)!.toString('hex')).toBe('090000000000');
    expect(prelogin.encryption).toBe(Encryption.On);
    expect(prelogin.options.get(PreloginOption.InstOpt)!.toString('hex')).toBe('00');
    expect(prelogin.options.get(PreloginOption.ThreadId)!.toString('hex')).toBe('b80d0000');
    expect(prelogin.mars).toBe(1);
  });

  it('encodes the same example byte for byte', () => {
    const encoded = encodePrelogin([
      [PreloginOption.Version, Buffer.from('090000000000', 'hex')],
      [PreloginOption.Encryption, Buffer.from([1])],
      [PreloginOption.InstOpt, Buffer.from([0])],
      [PreloginOption.ThreadId, Buffer.from('b80d0000', 'hex')],
      [PreloginOption.Mars, Buffer.from([1])],
    ]);
    expect(encoded.equals(SPEC_PRELOGIN)).toBe(true);
  });

  it('is read by tedious as Sluice means it (encryption, MARS off, FEDAUTHREQUIRED)', () => {
    const require = createRequire(import.meta.url);
    const PreloginPayload = require('tedious/lib/prelogin-payload') as new (data: Buffer) => Record<string, unknown>;
    const encoded = encodePrelogin([
      [PreloginOption.Version, versionOption(16, 0, 1000)],
      [PreloginOption.Encryption, Buffer.from([Encryption.NotSupported])],
      [PreloginOption.InstOpt, Buffer.from([0])],
      [PreloginOption.ThreadId, Buffer.alloc(0)],
      [PreloginOption.Mars, Buffer.from([0])],
      [PreloginOption.FedAuthRequired, Buffer.from([1])],
    ]);
    const parsed = new PreloginPayload(encoded);
    expect(parsed.encryptionString).toBe('NOT_SUP');
    expect(parsed.marsString).toBe('OFF');
    expect(parsed.fedAuthRequired).toBe(1);
    expect(parsed.version).toEqual({ major: 16, minor: 0, build: 1000, subbuild: 0 });
  });

  it('refuses an option pointing outside the payload or a missing terminator', () => {
    expect(decodePrelogin(Buffer.from('0000FF0006FF', 'hex'))).toBeUndefined();
    expect(decodePrelogin(Buffer.from('000005000100', 'hex'))).toBeUndefined();
    expect(decodePrelogin(Buffer.alloc(0))).toBeUndefined();
  });
});
