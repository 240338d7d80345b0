// Every value recognizer in priority order, and the scan that runs them over a text without overlaps.
import { cardRecognizer } from './card.js';
import { credentialRecognizer } from './credentials.js';
import { emailRecognizer } from './email.js';
import type { Finding, Recognizer, RecognizerOptions, TextFeatures } from './finding.js';
import { ibanRecognizer } from './iban.js';
import { ipRecognizer } from './ip.js';
import { jwtRecognizer } from './jwt.js';
import { passwordHashRecognizer } from './password-hash.js';
import { phoneRecognizer } from './phone.js';
import { privateKeyRecognizer } from './private-key.js';
import { ssnRecognizer } from './ssn.js';

export type { Finding, Recognizer, RecognizerOptions, TextFeatures } from './finding.js';

/** Earlier wins where two findings overlap: a JWT holds digits that look like a phone number, not the reverse. */
export const RECOGNIZERS: readonly Recognizer[] = [
  privateKeyRecognizer,
  jwtRecognizer,
  credentialRecognizer,
  passwordHashRecognizer,
  emailRecognizer,
  ibanRecognizer,
  cardRecognizer,
  ssnRecognizer,
  ipRecognizer,
  phoneRecognizer,
];

export const DEFAULT_RECOGNIZER_OPTIONS: RecognizerOptions = { phoneRegions: ['US'] };

/** What needs no digit, `@`, `$` or `:` to be found: credential prefixes, key blocks, JWT headers. */
const LETTERS_ONLY_SECRETS = /-----BEGIN|eyJ|xox|xapp-|AIza|gh[pousr]_|github_pat_|whsec_|_live_|_test_|A[BCGIKNPRS][A-Z]A[A-Z0-9]{16}/;

/** One pass over the text: what the recognizers' gates ask about. */
export function textFeatures(text: string): TextFeatures {
  let digits = 0;
  let at = false;
  let dollar = false;
  let colon = false;
  let dot = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 64) at = true;
    else if (c === 36) dollar = true;
    else if (c === 58) colon = true;
    else if (c === 46) dot = true;
  }
  return { digits, at, dollar, colon, dot };
}

/** Nothing sensitive fits in fewer than 6 characters; most need a digit, an `@`, a `$` or a `:`. */
export function mayHoldSensitive(text: string, features = textFeatures(text)): boolean {
  if (text.length < 6) return false;
  return features.digits > 0 || features.at || features.dollar || features.colon || LETTERS_ONLY_SECRETS.test(text);
}

/** Non-overlapping findings, sorted by position. */
export function findSensitive(text: string, options: RecognizerOptions = DEFAULT_RECOGNIZER_OPTIONS): Finding[] {
  const features = textFeatures(text);
  if (!mayHoldSensitive(text, features)) return [];
  const accepted: Finding[] = [];
  const found: Finding[] = [];
  let covered: Uint8Array | undefined;
  for (const recognizer of RECOGNIZERS) {
    if (!recognizer.applies(features)) continue;
    if (found.length > 0) found.length = 0;
    recognizer.find(text, found, options);
    if (found.length === 0) continue;
    // Within one recognizer the longer match wins (an IPv6 address holding an IPv4 one).
    found.sort((a, b) => b.end - b.start - (a.end - a.start));
    for (const finding of found) {
      if (covered ? !overlapsCovered(covered, finding) : !accepted.some((other) => finding.start < other.end && other.start < finding.end)) {
        accepted.push(finding);
        if (covered) covered.fill(1, finding.start, finding.end);
        else if (accepted.length > MANY) covered = coverage(text.length, accepted);
      }
    }
  }
  return accepted.sort((a, b) => a.start - b.start);
}

/** Past this many findings in one text, overlaps are checked on a map of covered characters instead of pairwise. */
const MANY = 16;

function coverage(length: number, findings: readonly Finding[]): Uint8Array {
  const covered = new Uint8Array(length);
  for (const finding of findings) covered.fill(1, finding.start, finding.end);
  return covered;
}

function overlapsCovered(covered: Uint8Array, finding: Finding): boolean {
  for (let i = finding.start; i < finding.end; i++) if (covered[i] === 1) return true;
  return false;
}
