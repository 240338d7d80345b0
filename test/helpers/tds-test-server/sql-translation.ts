// The little T-SQL → PostgreSQL translation the test server needs: batches split into statements,
// @name parameters → $n, session options answered without PostgreSQL, a few T-SQL spellings.

interface Segment {
  /** True for SQL code; false for string literals, quoted identifiers and comments. */
  readonly code: boolean;
  readonly text: string;
}

/** Cuts SQL into code and non-code (quoted or commented) segments. */
export function segments(sql: string): Segment[] {
  const out: Segment[] = [];
  let start = 0;
  let i = 0;
  const flushCode = (end: number) => {
    if (end > start) out.push({ code: true, text: sql.slice(start, end) });
  };
  const other = (end: number) => {
    out.push({ code: false, text: sql.slice(i, end) });
    i = end;
    start = end;
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === "'" || c === '"') {
      flushCode(i);
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) break;
        if (sql[j] === c) {
          if (sql[j + 1] === c) j += 2;
          else break;
        } else j++;
      }
      other(Math.min(j + 1, sql.length));
    } else if (c === '-' && next === '-') {
      flushCode(i);
      const end = sql.indexOf('\n', i);
      other(end < 0 ? sql.length : end);
    } else if (c === '/' && next === '*') {
      flushCode(i);
      let depth = 0;
      let j = i;
      while (j < sql.length) {
        if (sql[j] === '/' && sql[j + 1] === '*') {
          depth++;
          j += 2;
        } else if (sql[j] === '*' && sql[j + 1] === '/') {
          depth--;
          j += 2;
          if (depth === 0) break;
        } else j++;
      }
      other(j);
    } else if (c === '$' && /^\$[A-Za-z_]*\$/.test(sql.slice(i)) && !/[\w$]/.test(sql[i - 1] ?? ' ')) {
      flushCode(i);
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i))![0];
      const end = sql.indexOf(tag, i + tag.length);
      other(end < 0 ? sql.length : end + tag.length);
    } else {
      i++;
    }
  }
  flushCode(sql.length);
  return out;
}

/** Splits a batch at semicolons outside literals and comments; drops empty statements. */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  for (const segment of segments(sql)) {
    if (!segment.code) {
      current += segment.text;
      continue;
    }
    const parts = segment.text.split(';');
    current += parts[0];
    for (const part of parts.slice(1)) {
      statements.push(current);
      current = part;
    }
  }
  statements.push(current);
  return statements.filter((statement) => !/^\s*$/.test(stripComments(statement)));
}

export function stripComments(sql: string): string {
  return segments(sql)
    .map((segment) => (segment.code || !/^(--|\/\*)/.test(segment.text) ? segment.text : ' '))
    .join('');
}

/** Replaces @name (not @@name) in code with what `replace` returns for it; unknown names stay. */
export function replaceParameters(sql: string, replace: (name: string) => string | undefined): string {
  return segments(sql)
    .map((segment) =>
      segment.code ? segment.text.replace(/(@@?)([A-Za-z_#][\w@$#]*)/g, (whole, at: string, name: string) => (at === '@' ? (replace(`@${name}`) ?? whole) : whole)) : segment.text,
    )
    .join('');
}

/** SET options T-SQL clients send at connect time that mean nothing to PostgreSQL; the server just acknowledges them. */
const SESSION_OPTION =
  /^\s*set\s+(textsize|quoted_identifier|arithabort|arithignore|numeric_roundabort|ansi_\w+|concat_null_yields_null|cursor_close_on_commit|implicit_transactions|language|dateformat|datefirst|nocount|xact_abort|deadlock_priority|lock_timeout|rowcount|nocount|fmtonly|no_browsetable|transaction\s+isolation\s+level)\b[^\n;]*/i;

/** The statements of a T-SQL batch that must go to PostgreSQL (session option lines removed). */
export function statementsOf(batch: string): string[] {
  const out: string[] = [];
  for (const statement of splitStatements(batch)) {
    let rest = stripComments(statement);
    // Clients send several SET lines in one batch without semicolons.
    let match: RegExpExecArray | null;
    while ((match = SESSION_OPTION.exec(rest))) rest = rest.slice(match[0].length);
    if (rest.trim() === '') continue;
    out.push(rest === stripComments(statement) ? statement : rest);
  }
  return out.map(translateStatement);
}

/** T-SQL spellings PostgreSQL does not know, rewritten to their PostgreSQL equivalent. */
export function translateStatement(statement: string): string {
  const trimmed = stripComments(statement).trim();
  let match: RegExpExecArray | null;
  if (/^begin\s+tran(saction)?(\s+\w+)?$/i.test(trimmed)) return 'begin';
  if (/^commit(\s+tran(saction)?)?(\s+\w+)?$/i.test(trimmed)) return 'commit';
  if (/^rollback(\s+tran(saction)?)?(\s+\w+)?$/i.test(trimmed)) return 'rollback';
  if ((match = /^save\s+tran(saction)?\s+(\w+)$/i.exec(trimmed))) return `savepoint ${match[2]}`;
  if ((match = /^waitfor\s+delay\s+'(\d+):(\d+):(\d+(?:\.\d+)?)'$/i.exec(trimmed))) {
    const seconds = Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]);
    return `do $$ begin perform pg_sleep(${seconds}); end $$`;
  }
  return segments(statement)
    .map((segment) =>
      segment.code
        ? segment.text
            .replace(/@@version\b/gi, 'version()')
            .replace(/@@spid\b/gi, 'pg_backend_pid()')
            .replace(/@@servername\b/gi, "'tds-test-server'")
        : segment.text,
    )
    .join('');
}

/** `USE name` switches the database, which this server maps to a PostgreSQL schema. */
export function useDatabase(statement: string): string | undefined {
  const match = /^\s*use\s+\[?([\w$#@]+)\]?\s*$/i.exec(stripComments(statement));
  return match?.[1];
}

/** `@a int, @b nvarchar(50) output` → ['@a', '@b'] in order. */
export function declaredParameterNames(declaration: string): string[] {
  const names: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of declaration) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      names.push(current);
      current = '';
    } else current += c;
  }
  names.push(current);
  return names
    .map((part) => /^\s*(@[\w@$#]+)/.exec(part)?.[1])
    .filter((name): name is string => name !== undefined);
}

/** A directive in a comment, for tests: `/* tds-test-server: die-after-rows 5 *\/`. */
export function directive(sql: string, name: string): string | undefined {
  const match = new RegExp(`tds-test-server:\\s*${name}\\s+(\\S+)`).exec(sql);
  return match?.[1];
}

/**
 * The result columns a statement's final ORDER BY names (by column name or position), for the ORDER
 * token SQL Server sends after COLMETADATA. Expressions it cannot match give no ORDER token.
 */
export function orderByColumns(statement: string, columnNames: readonly string[]): number[] {
  const code = segments(statement)
    .map((segment) => (segment.code ? segment.text : segment.text.startsWith('"') ? segment.text : ' '))
    .join('');
  const match = /\border\s+by\s+((?:"[^"]+"|[\w.]+)(?:\s+(?:asc|desc))?(?:\s*,\s*(?:"[^"]+"|[\w.]+)(?:\s+(?:asc|desc))?)*)\s*(?:limit\b[^)]*|offset\b[^)]*|for\b[^)]*)?$/i.exec(code.trim());
  if (!match) return [];
  const numbers: number[] = [];
  for (const item of match[1]!.split(',')) {
    const name = item.trim().replace(/\s+(asc|desc)$/i, '').replace(/^"|"$/g, '');
    const position = /^\d+$/.test(name) ? Number(name) : columnNames.findIndex((column) => column.toLowerCase() === name.split('.').at(-1)!.toLowerCase()) + 1;
    if (position < 1 || position > columnNames.length) return [];
    numbers.push(position);
  }
  return numbers;
}
