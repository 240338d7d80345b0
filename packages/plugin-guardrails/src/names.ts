// Glob patterns and the comparison of SQL names (tables, columns, functions) against them.

/** Whether a rule is loosening (allow, `unless`) or tightening (deny, approval, log): each reads uncertainty its own safe way. */
export type MatchMode = 'any' | 'all';

/** A glob: `*` is any run of characters (dots included), `?` is one character. Case-insensitive unless asked. */
export function compileGlob(pattern: string, caseSensitive = false): RegExp {
  let source = '';
  for (const char of pattern) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, caseSensitive ? 's' : 'is');
}

/** A pattern for a dotted SQL name (`schema.table`, `table.column`, `schema.function`), split on its dots. */
export interface NamePattern {
  readonly text: string;
  readonly segments: readonly RegExp[];
}

export function compileNamePattern(pattern: string): NamePattern {
  return { text: pattern, segments: splitName(pattern).map((segment) => compileGlob(segment)) };
}

/**
 * Compares a pattern with a name from the SQL, segment by segment from the right, so `payroll`
 * matches `hr.payroll` and `hr.payroll` matches `db.hr.payroll`. When the SQL does not qualify the
 * name as far as the pattern does (`payroll` against the pattern `hr.payroll`) the schema is not
 * known: a tightening rule assumes it may be that schema, a loosening rule does not.
 */
export function nameMatches(pattern: NamePattern, name: string, mode: MatchMode): boolean {
  const parts = splitName(name);
  const { segments } = pattern;
  if (parts.length < segments.length && mode === 'all') return false;
  const compared = Math.min(parts.length, segments.length);
  for (let i = 1; i <= compared; i++) {
    if (!segments[segments.length - i]!.test(parts[parts.length - i]!)) return false;
  }
  return true;
}

/** Splits `a.b.c` on dots, ignoring dots inside double quotes, backticks or brackets, and drops those quotes. */
export function splitName(name: string): string[] {
  const parts: string[] = [];
  let current = '';
  let closing: string | undefined;
  for (const char of name) {
    if (closing !== undefined) {
      if (char === closing) closing = undefined;
      else current += char;
    } else if (char === '"' || char === '`') closing = char;
    else if (char === '[') closing = ']';
    else if (char === '.') {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts;
}
