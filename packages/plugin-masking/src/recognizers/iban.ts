// IBANs: country code, the country's length, and the ISO 13616 mod-97 check; printed with or without spaces.
import { eachMatch, type Finding, type Recognizer } from './finding.js';

const CANDIDATE = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])/g;

/** IBAN length by country (SWIFT IBAN registry). */
const LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
  CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
  FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22,
  IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20,
  LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28, NL: 18,
  NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31,
  SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29,
  VA: 22, VG: 24, XK: 20, YE: 30,
};

export function ibanChecksumValid(compact: string): boolean {
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const code = rearranged.charCodeAt(i);
    // Letters count as two digits: A = 10 … Z = 35.
    const value = code >= 65 ? code - 55 : code - 48;
    remainder = value >= 10 ? (remainder * 100 + value) % 97 : (remainder * 10 + value) % 97;
  }
  return remainder === 1;
}

export function isValidIban(candidate: string): boolean {
  const compact = candidate.replace(/ /g, '').toUpperCase();
  const length = LENGTHS[compact.slice(0, 2)];
  // Printed IBANs group by four; a space anywhere else means two things side by side.
  if (candidate.includes(' ') && !/^[A-Z0-9]{4}(?: [A-Z0-9]{4})*(?: [A-Z0-9]{1,4})?$/i.test(candidate)) return false;
  // Check digits 00, 01 and 99 are never issued.
  const check = compact.slice(2, 4);
  if (check === '00' || check === '01' || check === '99') return false;
  return length === compact.length && ibanChecksumValid(compact);
}

export const ibanRecognizer: Recognizer = {
  type: 'iban',
  name: 'iban',
  applies: (f) => f.digits >= 2,
  find(text: string, out: Finding[]) {
    eachMatch(
      CANDIDATE,
      text,
      (match) => {
        // The pattern is greedy; an IBAN followed by another word in capitals is found by trimming groups.
        let candidate = match[0];
        while (candidate.length >= 15) {
          if (isValidIban(candidate)) return { start: match.index, end: match.index + candidate.length };
          const lastSpace = candidate.lastIndexOf(' ');
          if (lastSpace === -1) return false;
          candidate = candidate.slice(0, lastSpace);
        }
        return false;
      },
      'iban',
      out,
    );
  },
};
