// What a recognizer reports: where a sensitive value sits in a text and what kind it is.
import type { SensitiveType } from '../sensitive-types.js';

export interface Finding {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  readonly type: SensitiveType;
}

export interface RecognizerOptions {
  /** Regions (ISO 3166 alpha-2) whose national phone formats are recognized; `+` numbers always are. */
  readonly phoneRegions: readonly string[];
}

/** Counted in one pass over a text, so each recognizer can skip a text it cannot match without a regex. */
export interface TextFeatures {
  readonly digits: number;
  readonly at: boolean;
  readonly dollar: boolean;
  readonly colon: boolean;
  readonly dot: boolean;
}

/** Finds one kind of sensitive value in a text: a cheap gate, a pattern, then a validation step. */
export interface Recognizer {
  readonly type: SensitiveType;
  readonly name: string;
  /** False when the text cannot hold a match (too few digits, no `@`…). */
  applies(features: TextFeatures): boolean;
  /** Appends every valid occurrence in `text` to `out`, in any order. */
  find(text: string, out: Finding[], options: RecognizerOptions): void;
}

/** Runs a global regex over `text` and keeps the matches `accept` approves (it may narrow the range). */
export function eachMatch(
  pattern: RegExp,
  text: string,
  accept: (match: RegExpExecArray) => { start: number; end: number } | boolean,
  type: SensitiveType,
  out: Finding[],
): void {
  pattern.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(text)) !== null) {
    const verdict = accept(match);
    if (verdict === true) out.push({ start: match.index, end: match.index + match[0].length, type });
    else if (verdict !== false) out.push({ start: verdict.start, end: verdict.end, type });
    if (match[0].length === 0) pattern.lastIndex++;
  }
}

/** True when a token body has enough distinct characters to be random rather than a placeholder like `xxxx`. */
export function looksRandom(body: string): boolean {
  const distinct = new Set(body).size;
  return distinct >= Math.min(10, Math.ceil(body.length / 3));
}
