// Parses a listener's `host:port` (or `[ipv6]:port`) address.
import { isIPv6 } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
}

export type ListenAddressResult = { ok: true; address: ListenAddress } | { ok: false; reason: string };

const HOST_NAME = /^[A-Za-z0-9._-]+$/;
const PORT_DIGITS = /^\d{1,5}$/;
export const LISTEN_ADDRESS_HINT = 'expected host:port, e.g. 127.0.0.1:6432 or [::1]:6432';

export function parseListenAddress(text: string): ListenAddressResult {
  const split = splitHostAndPort(text.trim());
  if (!split) return { ok: false, reason: LISTEN_ADDRESS_HINT };
  const { host, portText, bracketed } = split;

  if (!bracketed && host.includes(':')) {
    return { ok: false, reason: 'an IPv6 host must be written in brackets, e.g. [::1]:6432' };
  }
  if (bracketed ? !isIPv6(host) : !HOST_NAME.test(host)) {
    return { ok: false, reason: `invalid host; ${LISTEN_ADDRESS_HINT}` };
  }
  const port = Number(portText);
  if (!PORT_DIGITS.test(portText) || port > 65_535) {
    return { ok: false, reason: 'port must be an integer from 0 to 65535' };
  }
  return { ok: true, address: { host, port } };
}

function splitHostAndPort(text: string): { host: string; portText: string; bracketed: boolean } | undefined {
  if (text.startsWith('[')) {
    const close = text.indexOf(']:');
    if (close < 0) return undefined;
    return { host: text.slice(1, close), portText: text.slice(close + 2), bracketed: true };
  }
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return undefined;
  return { host: text.slice(0, colon), portText: text.slice(colon + 1), bracketed: false };
}
