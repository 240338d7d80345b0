// Cloud and SaaS credentials by their documented prefixes: AWS, GitHub, Slack, Stripe, Google API keys.
import { eachMatch, looksRandom, type Finding, type Recognizer } from './finding.js';

interface CredentialPattern {
  readonly name: string;
  /** Cheap substring test before the regex runs. */
  readonly gate: RegExp;
  readonly pattern: RegExp;
  /** The part of the match that is random, checked so placeholders like `ghp_xxxx…` are skipped. */
  readonly bodyFrom: number;
}

const PATTERNS: readonly CredentialPattern[] = [
  {
    name: 'aws-access-key-id',
    gate: /A[BCGIKNPRS][A-Z]A/,
    pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
    bodyFrom: 4,
  },
  {
    name: 'github-token',
    gate: /gh[pousr]_|github_pat_/,
    pattern: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{59,240})(?![A-Za-z0-9_])/g,
    bodyFrom: 4,
  },
  {
    name: 'slack-token',
    gate: /xox[abposr]-|xapp-/,
    pattern: /(?<![A-Za-z0-9])(?:xox[abposr]-[A-Za-z0-9-]{10,250}|xapp-\d-[A-Za-z0-9-]{20,250})(?![A-Za-z0-9-])/g,
    bodyFrom: 5,
  },
  {
    name: 'slack-webhook',
    gate: /hooks\.slack\.com/,
    pattern: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_\/-]{20,}/g,
    bodyFrom: 30,
  },
  {
    name: 'stripe-key',
    gate: /[sr]k_(?:live|test)_|whsec_/,
    pattern: /(?<![A-Za-z0-9_])(?:[sr]k_(?:live|test)_[A-Za-z0-9]{16,247}|whsec_[A-Za-z0-9]{24,})(?![A-Za-z0-9_])/g,
    bodyFrom: 8,
  },
  {
    name: 'google-api-key',
    gate: /AIza/,
    pattern: /(?<![A-Za-z0-9_-])AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/g,
    bodyFrom: 4,
  },
];

// An AWS secret access key is 40 base64 characters: only said to be one next to its name.
const AWS_SECRET_GATE = /secret_?access_?key|secretaccesskey/i;
const AWS_SECRET = /(?:aws_?)?secret_?access_?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi;

/** Any of the prefixes above, tested once before the patterns one by one. */
const ANY_PREFIX = /A[BCGIKNPRS][A-Z]A[A-Z0-9]{16}|gh[pousr]_|github_pat_|xox[abposr]-|xapp-|hooks\.slack\.com|[sr]k_(?:live|test)_|whsec_|AIza/;

export const credentialRecognizer: Recognizer = {
  type: 'credential',
  name: 'credential',
  applies: () => true,
  find(text: string, out: Finding[]) {
    if (ANY_PREFIX.test(text)) {
      for (const { gate, pattern, bodyFrom } of PATTERNS) {
        if (!gate.test(text)) continue;
        eachMatch(pattern, text, (match) => looksRandom(match[0].slice(bodyFrom)), 'credential', out);
      }
    }
    if (AWS_SECRET_GATE.test(text)) {
      eachMatch(
        AWS_SECRET,
        text,
        (match) => {
          const secret = match[1]!;
          const end = match.index + match[0].length;
          return looksRandom(secret) ? { start: end - secret.length, end } : false;
        },
        'credential',
        out,
      );
    }
  },
};
