// Phone numbers: a cheap pattern finds phone-shaped runs, libphonenumber-js (full metadata) decides.
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { eachMatch, type Finding, type Recognizer, type RecognizerOptions } from './finding.js';

// An optional +country code, optional (area), then digits with single separators; 7–15 digits overall.
const CANDIDATE = /(?<![\w+.\/-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d(?:[ .-]?\d){5,14}(?![\w\/]|[.:-]\d)/g;

/** Verdicts by candidate: the same numbers recur across rows, and libphonenumber is the costly step. */
const verdicts = new Map<string, boolean>();
const VERDICTS_SIZE = 2_000;
/** Trailing groups tried off a greedy match ("415-555-2671 2024"); more means digits that are no phone number. */
const MAX_TRIMS = 3;

export function isValidPhone(candidate: string, regions: readonly string[]): boolean {
  const key = regions.length === 1 && regions[0] === 'US' ? candidate : `${regions.join(',')}\u0000${candidate}`;
  let verdict = verdicts.get(key);
  if (verdict === undefined) {
    verdict = checkPhone(candidate, regions);
    if (verdicts.size >= VERDICTS_SIZE) verdicts.clear();
    verdicts.set(key, verdict);
  }
  return verdict;
}

function checkPhone(candidate: string, regions: readonly string[]): boolean {
  const digits = candidate.replace(/\D/g, '');
  if (digits.length < 7 || digits.length > 15) return false;
  // Dates and times written with dashes or dots are not phone numbers.
  if (/^\d{4}[-./]\d{1,2}[-./]\d{1,2}(?!\d)/.test(candidate) || /^\d{1,2}[-./]\d{1,2}[-./]\d{4}(?!\d)/.test(candidate)) return false;
  // Written numbers group digits by 2 to 5; one lone digit (France's "1 42 68…") is the most they have.
  if ((candidate.replace(/^\+\d{1,3}/, '').match(/(?<!\d)\d(?!\d)/g)?.length ?? 0) > 1) return false;
  if (candidate.startsWith('+')) return parsePhoneNumberFromString(candidate)?.isValid() === true;
  // A bare run of digits in free text is more often an id or a timestamp (2024011512) than a phone
  // number; columns named like `phone` are masked whole whatever their values look like.
  if (!/[ ().-]/.test(candidate)) return false;
  for (const region of regions) {
    if (parsePhoneNumberFromString(candidate, region as CountryCode)?.isValid() === true) return true;
  }
  return false;
}

export const phoneRecognizer: Recognizer = {
  type: 'phone',
  name: 'phone',
  applies: (f) => f.digits >= 7,
  find(text: string, out: Finding[], options: RecognizerOptions) {
    eachMatch(
      CANDIDATE,
      text,
      (match) => {
        // The pattern is greedy: "call 415-555-2671 2024" holds a number followed by a year.
        let candidate = match[0];
        for (let trims = 0; trims <= MAX_TRIMS; trims++) {
          if (isValidPhone(candidate, options.phoneRegions)) return { start: match.index, end: match.index + candidate.length };
          const cut = Math.max(candidate.lastIndexOf(' '), candidate.lastIndexOf('-'), candidate.lastIndexOf('.'));
          if (cut <= 0) return false;
          candidate = candidate.slice(0, cut).replace(/[ .-]+$/, '');
          if (candidate.replace(/\D/g, '').length < 7) return false;
        }
        return false;
      },
      'phone',
      out,
    );
  },
};
