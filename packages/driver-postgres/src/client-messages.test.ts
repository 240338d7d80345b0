// Tests for the decoders of client messages: startup-phase packets, Query and SASLInitialResponse.
import { describe, expect, it } from 'vitest';
import { decodePassword, decodeQuery, decodeSASLInitialResponse, decodeStartup } from './client-messages.js';
import {
  cancelRequest,
  cstring,
  gssencRequest,
  int32,
  password,
  PROTOCOL_3_0,
  query,
  saslInitialResponse,
  sslRequest,
  startup,
  typedBody,
  untypedBody,
} from './testing/messages.js';

describe('decodeStartup', () => {
  it('decodes a 3.0 startup with its parameters in order', () => {
    const body = untypedBody(startup({ user: 'postgres', database: 'app', application_name: 'Zoë’s tool', options: '' }));
    const packet = decodeStartup(body);
    expect(packet).toEqual({
      kind: 'startup',
      major: 3,
      minor: 0,
      parameters: new Map([
        ['user', 'postgres'],
        ['database', 'app'],
        ['application_name', 'Zoë’s tool'],
        ['options', ''],
      ]),
    });
    if (packet?.kind !== 'startup') throw new Error('not a startup');
    expect([...packet.parameters.keys()]).toEqual(['user', 'database', 'application_name', 'options']);
  });

  it('decodes a startup without parameters', () => {
    expect(decodeStartup(untypedBody(startup({})))).toEqual({ kind: 'startup', major: 3, minor: 0, parameters: new Map() });
  });

  it('splits the version into major and minor (3.2, and an unknown 4.7 left for the session to judge)', () => {
    expect(decodeStartup(untypedBody(startup({ user: 'u' }, (3 << 16) | 2)))).toMatchObject({ major: 3, minor: 2 });
    expect(decodeStartup(untypedBody(startup({ user: 'u' }, (4 << 16) | 7)))).toMatchObject({ major: 4, minor: 7 });
  });

  it('decodes SSLRequest and GSSENCRequest', () => {
    expect(decodeStartup(untypedBody(sslRequest()))).toEqual({ kind: 'ssl' });
    expect(decodeStartup(untypedBody(gssencRequest()))).toEqual({ kind: 'gssenc' });
  });

  it('refuses SSLRequest and GSSENCRequest with extra bytes', () => {
    expect(decodeStartup(Buffer.concat([untypedBody(sslRequest()), Buffer.from([0])]))).toBeUndefined();
    expect(decodeStartup(Buffer.concat([untypedBody(gssencRequest()), int32(0)]))).toBeUndefined();
  });

  it('decodes a 3.0 CancelRequest with a 4-byte key', () => {
    const key = int32(-123456789);
    const packet = decodeStartup(untypedBody(cancelRequest(4242, key)));
    expect(packet).toEqual({ kind: 'cancel', processId: 4242, secretKey: key });
  });

  it('decodes a 3.2 CancelRequest with a 32-byte key and the longest (256-byte) key', () => {
    for (const length of [32, 256]) {
      const key = Buffer.alloc(length, 0xab);
      const packet = decodeStartup(untypedBody(cancelRequest(7, key)));
      expect(packet).toEqual({ kind: 'cancel', processId: 7, secretKey: key });
    }
  });

  it('copies the cancel key out of the packet, so the read buffer can be reused', () => {
    const body = untypedBody(cancelRequest(1, int32(99)));
    const packet = decodeStartup(body);
    body.fill(0);
    expect(packet).toEqual({ kind: 'cancel', processId: 1, secretKey: int32(99) });
  });

  it('refuses a CancelRequest with a short or an over-long key', () => {
    expect(decodeStartup(untypedBody(cancelRequest(7, Buffer.alloc(3))))).toBeUndefined();
    expect(decodeStartup(untypedBody(cancelRequest(7, Buffer.alloc(0))))).toBeUndefined();
    expect(decodeStartup(untypedBody(cancelRequest(7, Buffer.alloc(257))))).toBeUndefined();
  });

  it('refuses a body shorter than the version code', () => {
    expect(decodeStartup(Buffer.alloc(0))).toBeUndefined();
    expect(decodeStartup(Buffer.from([0, 3, 0]))).toBeUndefined();
  });

  it('refuses a startup whose parameter list lacks the final terminator', () => {
    const body = Buffer.concat([int32(PROTOCOL_3_0), cstring('user'), cstring('postgres')]);
    expect(decodeStartup(body)).toBeUndefined();
  });

  it('refuses a startup whose last name or value is not terminated', () => {
    expect(decodeStartup(Buffer.concat([int32(PROTOCOL_3_0), cstring('user'), Buffer.from('postgres')]))).toBeUndefined();
    expect(decodeStartup(Buffer.concat([int32(PROTOCOL_3_0), Buffer.from('user')]))).toBeUndefined();
  });

  it('refuses a startup with a name and no value (odd count)', () => {
    const body = Buffer.concat([int32(PROTOCOL_3_0), cstring('user'), cstring('postgres'), cstring('database'), Buffer.from([0])]);
    // `database`, then the value '' — and then no terminator is left.
    expect(decodeStartup(body)).toBeUndefined();
  });

  it('refuses a startup with bytes after the terminator', () => {
    const body = Buffer.concat([untypedBody(startup({ user: 'u' })), Buffer.from('x')]);
    expect(decodeStartup(body)).toBeUndefined();
    const extraNul = Buffer.concat([untypedBody(startup({ user: 'u' })), Buffer.from([0])]);
    expect(decodeStartup(extraNul)).toBeUndefined();
  });
});

describe('decodeQuery', () => {
  it('decodes the SQL text, including multi-byte UTF-8', () => {
    expect(decodeQuery(typedBody(query('SELECT 1')))).toBe('SELECT 1');
    expect(decodeQuery(typedBody(query("SELECT 'Zoë 🚀'")))).toBe("SELECT 'Zoë 🚀'");
  });

  it('decodes an empty query string', () => {
    expect(decodeQuery(typedBody(query('')))).toBe('');
  });

  it('refuses a body without a terminator, an empty body, and bytes after the terminator', () => {
    expect(decodeQuery(Buffer.from('SELECT 1'))).toBeUndefined();
    expect(decodeQuery(Buffer.alloc(0))).toBeUndefined();
    expect(decodeQuery(Buffer.from('SELECT 1\0SELECT 2\0'))).toBeUndefined();
    expect(decodeQuery(Buffer.from('SELECT 1\0\0'))).toBeUndefined();
  });

  it('decodes a PasswordMessage the same way', () => {
    expect(decodePassword(typedBody(password('s3cret')))).toBe('s3cret');
    expect(decodePassword(Buffer.from('s3cret'))).toBeUndefined();
  });
});

describe('decodeSASLInitialResponse', () => {
  it('decodes the mechanism and the client-first message', () => {
    const first = Buffer.from('n,,n=,r=rOprNGfwEbeRWgbNEkqO');
    const decoded = decodeSASLInitialResponse(typedBody(saslInitialResponse('SCRAM-SHA-256', first)));
    expect(decoded?.mechanism).toBe('SCRAM-SHA-256');
    expect(decoded?.data.equals(first)).toBe(true);
  });

  it('decodes length -1 (no initial response) as empty data', () => {
    const decoded = decodeSASLInitialResponse(typedBody(saslInitialResponse('SCRAM-SHA-256', null)));
    expect(decoded?.mechanism).toBe('SCRAM-SHA-256');
    expect(decoded?.data.length).toBe(0);
  });

  it('decodes a zero-length initial response', () => {
    const decoded = decodeSASLInitialResponse(typedBody(saslInitialResponse('SCRAM-SHA-256-PLUS', Buffer.alloc(0))));
    expect(decoded).toEqual({ mechanism: 'SCRAM-SHA-256-PLUS', data: Buffer.alloc(0) });
  });

  it('refuses a length that does not match the bytes that follow', () => {
    const data = Buffer.from('n,,n=,r=abc');
    const longer = Buffer.concat([cstring('SCRAM-SHA-256'), int32(data.length + 1), data]);
    const shorter = Buffer.concat([cstring('SCRAM-SHA-256'), int32(data.length - 1), data]);
    expect(decodeSASLInitialResponse(longer)).toBeUndefined();
    expect(decodeSASLInitialResponse(shorter)).toBeUndefined();
  });

  it('refuses negative lengths other than -1', () => {
    expect(decodeSASLInitialResponse(Buffer.concat([cstring('SCRAM-SHA-256'), int32(-2)]))).toBeUndefined();
    expect(decodeSASLInitialResponse(Buffer.concat([cstring('SCRAM-SHA-256'), int32(-0x80000000)]))).toBeUndefined();
  });

  it('refuses bytes after a -1 length', () => {
    expect(decodeSASLInitialResponse(Buffer.concat([cstring('SCRAM-SHA-256'), int32(-1), Buffer.from('junk')]))).toBeUndefined();
  });

  it('refuses a missing mechanism terminator or a missing length', () => {
    expect(decodeSASLInitialResponse(Buffer.from('SCRAM-SHA-256'))).toBeUndefined();
    expect(decodeSASLInitialResponse(cstring('SCRAM-SHA-256'))).toBeUndefined();
    expect(decodeSASLInitialResponse(Buffer.concat([cstring('SCRAM-SHA-256'), Buffer.from([0, 0, 0])]))).toBeUndefined();
    expect(decodeSASLInitialResponse(Buffer.alloc(0))).toBeUndefined();
  });
});
