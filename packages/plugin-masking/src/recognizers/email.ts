// Email addresses: a conservative pattern, then the local-part and domain rules most systems enforce.
import { eachMatch, type Finding, type Recognizer } from './finding.js';

// The lookbehind starts a match only where a run of local-part characters starts: linear on any input.
const EMAIL = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-]|\.[A-Za-z0-9])/g;

export function isValidEmail(candidate: string): boolean {
  const at = candidate.lastIndexOf('@');
  const local = candidate.slice(0, at);
  if (local.length === 0 || local.length > 64 || candidate.length > 254) return false;
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return false;
  return true;
}

export const emailRecognizer: Recognizer = {
  type: 'email',
  name: 'email',
  applies: (f) => f.at,
  find(text: string, out: Finding[]) {
    if (!text.includes('@')) return;
    eachMatch(EMAIL, text, (match) => isValidEmail(match[0]), 'email', out);
  },
};
