// PEM and PGP private key blocks, from the BEGIN line to the END line (or to the end of a truncated text).
import { eachMatch, type Finding, type Recognizer } from './finding.js';

const BLOCK = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$)/g;

export const privateKeyRecognizer: Recognizer = {
  type: 'private_key',
  name: 'private-key',
  applies: () => true,
  find(text: string, out: Finding[]) {
    if (!text.includes('-----BEGIN ')) return;
    eachMatch(BLOCK, text, () => true, 'private_key', out);
  },
};
