import { describe, expect, it } from 'vitest';
import { isLoopbackAddress, isSecureIssuer } from './loopback.js';

describe('isLoopbackAddress', () => {
  it('knows IPv4, IPv6 and IPv4-mapped loopback addresses', () => {
    expect(['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1'].map(isLoopbackAddress)).toEqual([true, true, true, true]);
    expect(['10.0.0.1', '::ffff:10.0.0.1', '::', 'localhost', 'unknown', '128.0.0.1'].map(isLoopbackAddress)).toEqual([false, false, false, false, false, false]);
  });
});

describe('isSecureIssuer', () => {
  it('accepts https anywhere and http only on loopback', () => {
    expect(isSecureIssuer('https://idp.example.com')).toBe(true);
    expect(isSecureIssuer('http://127.0.0.1:8080')).toBe(true);
    expect(isSecureIssuer('http://localhost/realms/x')).toBe(true);
    expect(isSecureIssuer('http://[::1]:9000')).toBe(true);
    expect(isSecureIssuer('http://idp.example.com')).toBe(false);
  });
});
