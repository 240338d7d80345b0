// LOGIN7: the MS-TDS 4.2 example, password obfuscation, FEDAUTH, and tedious's LOGIN7 writer as a second implementation.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { TDS_7_4 } from './codes.js';
import { decodeFedAuth, decodeLogin7, deobfuscatePassword, encodeLogin7, FeatureId, FedAuthLibrary, obfuscatePassword } from './login7.js';

/** MS-TDS 4.2, packet data after the header: host skostov1, user sa, no password, app OSQL-32, library ODBC. */
const SPEC_LOGIN7 = Buffer.from(
  '880000000200097200100000000000070001000000000000E003000000000000090400005E000800' +
  '6E0002007200000072000700800000008000000080000400880000008800000000508BE2B78F8800' +
  '000088000000880000000000000073006B006F00730074006F0076003100730061004F0053005100' +
  '4C002D00330032004F00440042004300',
  'hex',
);

type TediousLogin7 = new (options: Record<string, unknown>) => Record<string, unknown> & { toBuffer(): Buffer };
const require = createRequire(import.meta.url);
const Login7Payload = require('tedious/lib/login7-payload') as TediousLogin7;

function tediousLogin(fields: Record<string, unknown>): Buffer {
  const payload = new Login7Payload({ tdsVersion: TDS_7_4, packetSize: 4096, clientProgVer: 0, clientPid: 42, connectionId: 0, clientTimeZone: 60, clientLcid: 0x0409 });
  Object.assign(payload, { hostname: 'host', appName: 'app', serverName: 'srv', libraryName: 'Tedious', language: 'us_english', database: 'db', clientId: Buffer.from([1, 2, 3, 4, 5, 6]), ...fields });
  return payload.toBuffer();
}

describe('LOGIN7', () => {
  it('decodes the MS-TDS 4.2 example', () => {
    const login = decodeLogin7(SPEC_LOGIN7)!;
    expect(login).toBeDefined();
    expect(login.tdsVersion).toBe(0x72090002);
    expect(login.packetSize).toBe(4096);
    expect(login.optionFlags1).toBe(0xe0);
    expect(login.optionFlags2).toBe(0x03);
    expect(login.clientLcid).toBe(0x0409);
    expect(login.hostName).toBe('skostov1');
    expect(login.userName).toBe('sa');
    expect(login.password).toBe('');
    expect(login.appName).toBe('OSQL-32');
    expect(login.clientInterfaceName).toBe('ODBC');
    expect(login.database).toBe('');
    expect(login.clientId.toString('hex')).toBe('00508be2b78f');
    expect(login.features).toEqual([]);
  });

  it('obfuscates a password as the spec says: nibbles swapped, then XOR 0xA5', () => {
    // "a" is 61 00 in UCS-2: 0x61 -> 0x16 ^ 0xA5 = 0xB3, 0x00 -> 0xA5.
    expect(obfuscatePassword('a').toString('hex')).toBe('b3a5');
    expect(deobfuscatePassword(Buffer.from('b3a5', 'hex'))).toBe('a');
    for (const password of ['', 'p', 'Sluice-pw-ÄÖÜ-密码', 'x'.repeat(128)]) expect(deobfuscatePassword(obfuscatePassword(password))).toBe(password);
  });

  it("reads tedious's LOGIN7 with a SQL login, password included", () => {
    const login = decodeLogin7(tediousLogin({ userName: 'alice', password: 'alice-secret-pw' }))!;
    expect(login.userName).toBe('alice');
    expect(login.password).toBe('alice-secret-pw');
    expect(login.hostName).toBe('host');
    expect(login.appName).toBe('app');
    expect(login.serverName).toBe('srv');
    expect(login.clientInterfaceName).toBe('Tedious');
    expect(login.language).toBe('us_english');
    expect(login.database).toBe('db');
    expect(login.tdsVersion).toBe(TDS_7_4);
    expect(login.features.map((f) => f.id)).toEqual([FeatureId.Utf8Support]);
  });

  it("reads the FEDAUTH security token tedious sends for azure-active-directory-access-token", () => {
    const token = 'eyJhbGciOi.payload.signature';
    const login = decodeLogin7(tediousLogin({ fedAuth: { type: 'SECURITYTOKEN', echo: true, fedAuthToken: token } }))!;
    const feature = login.features.find((f) => f.id === FeatureId.FedAuth)!;
    const fedAuth = decodeFedAuth(feature)!;
    expect(fedAuth.library).toBe(FedAuthLibrary.SecurityToken);
    expect(fedAuth.echo).toBe(true);
    expect(fedAuth.token).toBe(token);
  });

  it('encodes a login that decodes to the same fields, features after the variable data', () => {
    const encoded = encodeLogin7({
      tdsVersion: TDS_7_4,
      packetSize: 8192,
      hostName: 'h',
      userName: 'sa',
      password: 'pw-ü',
      appName: 'sluice',
      serverName: '127.0.0.1',
      clientInterfaceName: 'Tedious',
      language: '',
      database: 'db1',
      features: [{ id: FeatureId.Utf8Support, data: Buffer.from([1]) }],
    });
    const login = decodeLogin7(encoded)!;
    expect(login).toMatchObject({ tdsVersion: TDS_7_4, packetSize: 8192, hostName: 'h', userName: 'sa', password: 'pw-ü', appName: 'sluice', database: 'db1' });
    expect(login.features).toEqual([{ id: FeatureId.Utf8Support, data: Buffer.from([1]) }]);
    expect(encoded.includes(Buffer.from('pw-ü', 'utf16le'))).toBe(false);
  });

  it('refuses offsets outside the message', () => {
    const broken = Buffer.from(tediousLogin({ userName: 'u', password: 'p' }));
    broken.writeUInt16LE(0xfff0, 40);
    expect(decodeLogin7(broken)).toBeUndefined();
    expect(decodeLogin7(Buffer.alloc(50))).toBeUndefined();
  });
});
