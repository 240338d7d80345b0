// The constant-free shape of PostgreSQL text: the key under which statements that differ only in their constants share one analysis.
//
// `SELECT abalance FROM pgbench_accounts WHERE aid = 42` and `… WHERE aid = 7` have one shape. The
// key keeps every character of the text except the contents of plain string constants ('…') and
// decimal numbers, each replaced by NUL and its class (the wire protocol cannot carry NUL in SQL
// text, so a marker never meets a real character). Two texts with one key therefore lex into the same
// tokens in the same places, whitespace and comments included, and the parser builds the same tree
// for both except for the constants' values. Whatever the analysis reads of those values is the
// analyzer's to declare (`readsConstants`); see ShapeCache.
//
// The lexer is deliberately narrow. Anything it is not sure to read exactly as the server does has no
// shape, and is simply parsed: a backslash anywhere (escape strings, standard_conforming_strings off),
// a string with a prefix (E'', U&'', B'', X'', N''), numbers in other bases or with underscores or
// trailing letters, unterminated quotes or comments, a `$` that is neither a parameter nor a dollar quote.

export interface SqlShape {
  readonly key: string;
  /** Start and end offset of every constant the key hides, as flat pairs, in order. */
  readonly constants: readonly number[];
}

/** Texts longer than this are parsed without a shape: they rarely repeat, and the key would be as long. */
const MAX_SHAPED_LENGTH = 16 * 1024;
const INT32_MAX = 2_147_483_647;

const enum Char {
  Tab = 0x09,
  Newline = 0x0a,
  Return = 0x0d,
  Space = 0x20,
  DoubleQuote = 0x22,
  Dollar = 0x24,
  Ampersand = 0x26,
  Quote = 0x27,
  OpenParenthesis = 0x28,
  Star = 0x2a,
  Plus = 0x2b,
  Minus = 0x2d,
  Dot = 0x2e,
  Slash = 0x2f,
  Zero = 0x30,
  Nine = 0x39,
  Underscore = 0x5f,
  UpperE = 0x45,
  LowerE = 0x65,
}

function isDigit(code: number): boolean {
  return code >= Char.Zero && code <= Char.Nine;
}

function isIdentifierStart(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === Char.Underscore || code >= 0x80;
}

function isIdentifierPart(code: number): boolean {
  return isIdentifierStart(code) || isDigit(code) || code === Char.Dollar;
}

function isSpace(code: number): boolean {
  return code === Char.Space || (code >= Char.Tab && code <= Char.Return);
}

/** The shape of `sql`, or undefined when it has none (see the file comment). */
export function postgresShape(sql: string): SqlShape | undefined {
  const length = sql.length;
  // A backslash in a string reads differently with standard_conforming_strings off; NUL cannot be sent.
  if (length > MAX_SHAPED_LENGTH || sql.includes('\\') || sql.includes('\u0000')) return undefined;
  const constants: number[] = [];
  let key = '';
  let copiedTo = 0;
  let i = 0;
  const constant = (start: number, end: number, marker: string): void => {
    key += sql.slice(copiedTo, start) + marker;
    copiedTo = end;
    constants.push(start, end);
  };
  // `float(p)` picks float4 or float8, or fails, by p's value: the grammar reads that one constant.
  let afterFloat = false;
  let inFloatParenthesis = false;
  while (i < length) {
    const code = sql.charCodeAt(i);
    const next = i + 1 < length ? sql.charCodeAt(i + 1) : -1;
    if (isSpace(code)) {
      i++;
      continue;
    }
    if (code === Char.Minus && next === Char.Minus) {
      // A comment runs to the end of the line.
      i += 2;
      while (i < length && sql.charCodeAt(i) !== Char.Newline && sql.charCodeAt(i) !== Char.Return) i++;
      continue;
    }
    if (code === Char.Slash && next === Char.Star) {
      const end = blockCommentEnd(sql, i);
      if (end === undefined) return undefined;
      i = end;
      continue;
    }
    const floatParenthesis = inFloatParenthesis;
    inFloatParenthesis = code === Char.OpenParenthesis && afterFloat;
    afterFloat = false;
    if (code === Char.DoubleQuote) {
      const end = quotedEnd(sql, i, Char.DoubleQuote);
      if (end === undefined) return undefined;
      i = end;
    } else if (code === Char.Quote) {
      // E'…', U&'…', B'…', X'…', N'…' read their contents differently: no shape.
      if (i > 0 && (isIdentifierPart(sql.charCodeAt(i - 1)) || sql.charCodeAt(i - 1) === Char.Ampersand)) return undefined;
      const end = quotedEnd(sql, i, Char.Quote);
      if (end === undefined) return undefined;
      constant(i, end, '\u0000S');
      i = end;
    } else if (code === Char.Dollar) {
      if (isDigit(next)) {
        // A parameter ($1) stays as written.
        i++;
        while (i < length && isDigit(sql.charCodeAt(i))) i++;
      } else {
        const end = dollarQuotedEnd(sql, i);
        if (end === undefined) return undefined;
        i = end;
      }
    } else if (isIdentifierStart(code)) {
      const start = i;
      i++;
      while (i < length && isIdentifierPart(sql.charCodeAt(i))) i++;
      afterFloat = i - start === 5 && sql.slice(start, i).toLowerCase() === 'float';
    } else if (isDigit(code) || (code === Char.Dot && isDigit(next))) {
      const number = numberEnd(sql, i);
      if (number === undefined) return undefined;
      if (number.integer && floatParenthesis) {
        i = number.end;
        continue;
      }
      // Integers too large for int32 are FCONST to the grammar (refused where it wants an integer).
      const integerConstant = number.integer && number.end - i <= 10 && Number(sql.slice(i, number.end)) <= INT32_MAX;
      constant(i, number.end, integerConstant ? '\u0000I' : '\u0000F');
      i = number.end;
    } else {
      i++;
    }
  }
  key += sql.slice(copiedTo);
  return { key, constants };
}

/** End of a '…' or "…" run (a doubled quote stays inside), undefined when it is not closed. */
function quotedEnd(sql: string, start: number, quote: number): number | undefined {
  let i = start + 1;
  while (i < sql.length) {
    const code = sql.charCodeAt(i);
    if (code === quote) {
      if (sql.charCodeAt(i + 1) === quote) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  return undefined;
}

/** End of a nested /* … *\/ comment, undefined when it is not closed. */
function blockCommentEnd(sql: string, start: number): number | undefined {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    const code = sql.charCodeAt(i);
    const next = sql.charCodeAt(i + 1);
    if (code === Char.Slash && next === Char.Star) {
      depth++;
      i += 2;
    } else if (code === Char.Star && next === Char.Slash) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return undefined;
}

/** End of a $tag$…$tag$ string starting at `start`; undefined for a `$` that starts none, or one not closed. */
function dollarQuotedEnd(sql: string, start: number): number | undefined {
  let i = start + 1;
  if (i < sql.length && isIdentifierStart(sql.charCodeAt(i))) {
    i++;
    while (i < sql.length && (isIdentifierStart(sql.charCodeAt(i)) || isDigit(sql.charCodeAt(i)))) i++;
  }
  if (sql.charCodeAt(i) !== Char.Dollar) return undefined;
  const tag = sql.slice(start, i + 1);
  const close = sql.indexOf(tag, i + 1);
  if (close === -1) return undefined;
  return close + tag.length;
}

/**
 * A decimal number as the server lexes it: digits, an optional fraction, an optional exponent.
 * Undefined when letters, digits of another base, underscores or another dot follow (hex, `1e`,
 * `12abc`, `1..2`): servers of different versions read those differently.
 */
function numberEnd(sql: string, start: number): { end: number; integer: boolean } | undefined {
  let i = start;
  let integer = true;
  while (i < sql.length && isDigit(sql.charCodeAt(i))) i++;
  if (sql.charCodeAt(i) === Char.Dot) {
    integer = false;
    i++;
    while (i < sql.length && isDigit(sql.charCodeAt(i))) i++;
  }
  const e = sql.charCodeAt(i);
  if (e === Char.LowerE || e === Char.UpperE) {
    let j = i + 1;
    const sign = sql.charCodeAt(j);
    if (sign === Char.Plus || sign === Char.Minus) j++;
    if (isDigit(sql.charCodeAt(j))) {
      integer = false;
      i = j;
      while (i < sql.length && isDigit(sql.charCodeAt(i))) i++;
    }
  }
  if (i < sql.length) {
    const after = sql.charCodeAt(i);
    if (isIdentifierPart(after) || after === Char.Dot) return undefined;
  }
  return { end: i, integer };
}
