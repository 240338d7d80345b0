// Which addresses and hosts are loopback: plaintext token login and http issuers are allowed only there.
import { isIP } from 'node:net';

/** A socket's remote address (`127.0.0.1`, `::1`, `::ffff:127.0.0.1`) that never left the machine. */
export function isLoopbackAddress(address: string): boolean {
  const plain = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  if (isIP(plain) === 4) return plain.startsWith('127.');
  return plain === '::1';
}

/** A URL host name that resolves to this machine without asking DNS. */
export function isLoopbackHost(hostname: string): boolean {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return bare === 'localhost' || isLoopbackAddress(bare);
}

/** An issuer URL Sluice may fetch keys from: https, or http on loopback (tests and development). */
export function isSecureIssuer(issuer: string): boolean {
  const url = new URL(issuer);
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}
