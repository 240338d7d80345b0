// US Social Security numbers written ddd-dd-dddd (or with spaces), without the ranges the SSA never issues.
import { eachMatch, type Finding, type Recognizer } from './finding.js';

const CANDIDATE = /(?<![\w-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w]|-\d)/g;

/** Area 000, 666 and 900–999, group 00 and serial 0000 are never issued. */
export function isValidSsn(area: string, group: string, serial: string): boolean {
  if (area === '000' || area === '666' || area[0] === '9') return false;
  if (group === '00' || serial === '0000') return false;
  return true;
}

export const ssnRecognizer: Recognizer = {
  type: 'ssn',
  name: 'ssn',
  applies: (f) => f.digits >= 9,
  find(text: string, out: Finding[]) {
    eachMatch(CANDIDATE, text, (match) => isValidSsn(match[1]!, match[3]!, match[4]!), 'ssn', out);
  },
};
