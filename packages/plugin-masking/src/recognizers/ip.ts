// IPv4 and IPv6 addresses, validated by node:net; version strings and OIDs that only look like IPs are skipped.
import { isIPv4, isIPv6 } from 'node:net';
import { eachMatch, type Finding, type Recognizer } from './finding.js';

const IPV4 = /(?<![\w.-])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\w-]|\.\d)/g;
const IPV6 = /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|:|\d{1,3}(?:\.\d{1,3}){3})?(?![\w:]|\.\d)/g;
/** Words that, just before a dotted quad, say it is a version or build number. */
const VERSION_CONTEXT = /(?:\bv|\bver\.?|\bversion|\brelease|\bbuild|\brev|\bos|\bfirmware|\bOID|\bsnmp)\s*[:=]?\s*$/i;

function isVersionLike(text: string, start: number): boolean {
  return VERSION_CONTEXT.test(text.slice(Math.max(0, start - 16), start));
}

export function isValidIpv6(candidate: string): boolean {
  // A real address has a digit; `dead::beef` or `a::b` in prose or code is not worth masking.
  if (!/\d/.test(candidate) || !isIPv6(candidate)) return false;
  // Times (10:30:00) and MAC addresses never pass isIPv6, but "12::" alone is too short to mean anything.
  return candidate.replace(/:/g, '').length >= 3;
}

export const ipRecognizer: Recognizer = {
  type: 'ip',
  name: 'ip',
  applies: (f) => (f.dot && f.digits >= 4) || (f.colon && f.digits >= 1),
  find(text: string, out: Finding[]) {
    if (text.includes('.')) {
      eachMatch(IPV4, text, (match) => isIPv4(match[0]) && !isVersionLike(text, match.index), 'ip', out);
    }
    if (text.includes(':')) eachMatch(IPV6, text, (match) => isValidIpv6(match[0]), 'ip', out);
  },
};
