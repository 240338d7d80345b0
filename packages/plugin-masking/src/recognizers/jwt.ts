// JSON Web Tokens: three base64url parts whose header decodes to a JSON object naming an algorithm.
import { eachMatch, type Finding, type Recognizer } from './finding.js';

const CANDIDATE = /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*(?![A-Za-z0-9_-])/g;

export function isJwt(candidate: string): boolean {
  const header = candidate.slice(0, candidate.indexOf('.'));
  try {
    const decoded = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as unknown;
    return typeof decoded === 'object' && decoded !== null && ('alg' in decoded || 'typ' in decoded);
  } catch {
    return false;
  }
}

export const jwtRecognizer: Recognizer = {
  type: 'jwt',
  name: 'jwt',
  applies: (f) => f.dot,
  find(text: string, out: Finding[]) {
    if (!text.includes('eyJ')) return;
    eachMatch(CANDIDATE, text, (match) => isJwt(match[0]), 'jwt', out);
  },
};
