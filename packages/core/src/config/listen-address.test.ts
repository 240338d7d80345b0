import { describe, expect, it } from 'vitest';
import { parseListenAddress } from './listen-address.js';

describe('parseListenAddress', () => {
  it.each([
    ['127.0.0.1:6432', '127.0.0.1', 6432],
    ['localhost:0', 'localhost', 0],
    ['0.0.0.0:65535', '0.0.0.0', 65535],
    ['[::1]:6432', '::1', 6432],
    ['[fe80::1]:3306', 'fe80::1', 3306],
  ] as const)('parses %s', (text, host, port) => {
    expect(parseListenAddress(text)).toEqual({ ok: true, address: { host, port } });
  });

  it.each([
    ['6432', 'expected host:port'],
    [':6432', 'expected host:port'],
    ['localhost', 'expected host:port'],
    ['localhost:', 'port must be an integer from 0 to 65535'],
    ['localhost:65536', 'port must be an integer from 0 to 65535'],
    ['localhost:-1', 'port must be an integer from 0 to 65535'],
    ['localhost:64k', 'port must be an integer from 0 to 65535'],
    ['::1:6432', 'an IPv6 host must be written in brackets'],
    ['[::1]6432', 'expected host:port'],
    ['[nope]:6432', 'invalid host'],
    ['my host:6432', 'invalid host'],
  ])('rejects %j', (text, reason) => {
    const result = parseListenAddress(text);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toContain(reason);
  });
});
