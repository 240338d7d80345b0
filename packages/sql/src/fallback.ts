// Token-level analysis of a MySQL or T-SQL statement that node-sql-parser cannot read (or misread).
//
// It knows the statement kind from the leading keyword, every statement keyword hidden further in,
// tables named after FROM/JOIN/INTO/UPDATE/TABLE and friends, words called like functions, and file
// access markers. It does not know columns, and its table list is a best effort: so unless the
// statement is one whose whole effect the keyword tells (SET NAMES, COMMIT, SHOW ...), its kinds
// include 'unknown'.
import type { StatementInfo, StatementKind } from '@sluice/core';
import { Markers, StatementFacts, type Access } from './facts.js';
import { isDynamicSqlProcedure, isRoutineDefinition, leadingKind, mssqlBareCall, mssqlProcedureAt, statementHits, withBodyIndex, type StatementHit } from './keywords.js';
import { isPunct, isWord, type LexDialect, type Token } from './lexer.js';

/** Analyses SQL found in a string literal (PREPARE ... FROM '...', EXEC('...')); empty when it cannot. */
export type DynamicAnalyzer = (sql: string) => readonly StatementInfo[];

/** Words that are never a table name where one is expected. */
const NOT_NAMES = new Set([
  'SELECT', 'WHERE', 'SET', 'VALUES', 'VALUE', 'DUAL', 'LATERAL', 'IF', 'NOT', 'EXISTS', 'TEMPORARY', 'TEMP', 'TABLE',
  'TABLES', 'IGNORE', 'LOW_PRIORITY', 'QUICK', 'DELAYED', 'HIGH_PRIORITY', 'INTO', 'FROM', 'TOP', 'ONLY', 'ON', 'USING',
  'JOIN', 'AS', 'WITH', 'OUTFILE', 'DUMPFILE', 'LOCAL', 'INFILE', 'DATA', 'LEFT', 'RIGHT', 'INNER', 'OUTER', 'CROSS',
  'FULL', 'NATURAL', 'STRAIGHT_JOIN', 'GROUP', 'ORDER', 'LIMIT', 'HAVING', 'UNION', 'WINDOW', 'FOR', 'LOCK', 'DEFAULT',
  'OUTPUT', 'PARTITION', 'USE', 'FORCE', 'KEY', 'EXCEPT', 'INTERSECT', 'APPLY', 'PIVOT', 'UNPIVOT', 'OPTION', 'WHEN',
  'THEN', 'ELSE', 'END', 'AND', 'OR', 'IN', 'IS', 'NULL', 'RETURNING', 'INDEX', 'VIEW', 'UNIQUE', 'OFFSET', 'FETCH',
]);
/** Words after a table name that end it rather than alias it. */
const AFTER_NAME = new Set([...NOT_NAMES, 'READ', 'WRITE', 'TO', 'ROWS', 'NOLOCK', 'TABLESAMPLE', 'CASCADE', 'RESTRICT']);
/** Words followed by `(` that are syntax or types, not function calls. */
const NOT_FUNCTIONS = new Set([
  'IN', 'VALUES', 'VALUE', 'AS', 'ON', 'USING', 'EXISTS', 'AND', 'OR', 'NOT', 'INTO', 'TABLE', 'KEY', 'INDEX', 'UNIQUE',
  'PRIMARY', 'FOREIGN', 'REFERENCES', 'CHECK', 'CONSTRAINT', 'OVER', 'PARTITION', 'WITH', 'TOP', 'SELECT', 'FROM',
  'WHERE', 'JOIN', 'ALL', 'ANY', 'SOME', 'UNION', 'EXCEPT', 'INTERSECT', 'RETURNS', 'OPTION', 'FILTER', 'WITHIN', 'BY',
  'IDENTITY', 'DEFAULT', 'OUTPUT', 'CURSOR', 'EXEC', 'EXECUTE', 'WHEN', 'THEN', 'ELSE', 'CASE', 'RETURN', 'WHILE',
  'LIKE', 'BETWEEN', 'IS', 'SET', 'LIMIT', 'OFFSET', 'HAVING', 'ROWS', 'RANGE', 'KEYS', 'COLUMNS', 'INTERVAL',
  'DISTINCT', 'LATERAL', 'APPLY', 'PIVOT', 'UNPIVOT', 'FOR', 'FETCH', 'ROW', 'WINDOW', 'RECURSIVE', 'DECLARE',
  'PROCEDURE', 'PROC', 'FUNCTION', 'TRIGGER', 'VIEW', 'AGAINST', 'GROUP', 'ORDER', 'TO', 'AT', 'BEGIN', 'END', 'IF',
  'CHAR', 'VARCHAR', 'NCHAR', 'NVARCHAR', 'BINARY', 'VARBINARY', 'DECIMAL', 'DEC', 'NUMERIC', 'FLOAT', 'DOUBLE',
  'REAL', 'INT', 'INTEGER', 'BIGINT', 'SMALLINT', 'TINYINT', 'MEDIUMINT', 'BIT', 'DATETIME', 'DATETIME2',
  'DATETIMEOFFSET', 'TIME', 'TIMESTAMP', 'ENUM', 'TEXT', 'BLOB', 'CHARACTER', 'NATIONAL', 'VARYING', 'PRECISION',
  'FLOAT4', 'FLOAT8', 'SERIAL', 'GEOMETRY', 'POINT', 'TINYTEXT', 'MEDIUMTEXT', 'LONGTEXT', 'TINYBLOB', 'MEDIUMBLOB',
  'LONGBLOB', 'VARCHARACTER', 'NTEXT', 'UNSIGNED', 'INSERT',
]);
/** Words before a name followed by `(` that define that name with a column list (`INSERT INTO t (a, b)`). */
const DEFINES_NAME = new Set(['TABLE', 'INTO', 'INDEX', 'PROCEDURE', 'PROC', 'FUNCTION', 'TRIGGER', 'VIEW', 'KEY', 'CONSTRAINT', 'REFERENCES', 'ON', 'INSERT', 'EXISTS']);
/** Functions whose `FROM` is an argument, not a table list. */
const FROM_IN_CALL = new Set(['EXTRACT', 'SUBSTRING', 'SUBSTR', 'TRIM', 'POSITION', 'OVERLAY']);
/** Words that do not make a WHERE clause restrict rows (`WHERE 1=1`, `WHERE TRUE`). */
const CONSTANT_WORDS = new Set(['TRUE', 'FALSE', 'NULL', 'NOT', 'AND', 'OR', 'IS', 'UNKNOWN', 'LIKE', 'IN', 'BETWEEN', 'N']);
/** Words allowed in literal VALUES rows. */
const LITERAL_WORDS = new Set(['NULL', 'TRUE', 'FALSE', 'DEFAULT']);
/** Kinds whose whole effect the leading words name, when nothing else hides in the statement. */
const DEFINITIONS = new Set<StatementKind>(['create', 'alter', 'drop', 'truncate', 'grant', 'revoke']);
const SKIP_AFTER_WRITE_WORD = new Set(['LOW_PRIORITY', 'DELAYED', 'HIGH_PRIORITY', 'IGNORE', 'QUICK', 'CONCURRENT', 'ONLY']);


function isNameToken(token: Token | undefined, dialect: LexDialect): boolean {
  if (!token) return false;
  if (token.type === 'word') return !NOT_NAMES.has(token.value);
  if (token.type === 'quoted') return true;
  // MySQL reads "name" as a name under ANSI_QUOTES; counting it as one errs toward reporting.
  return dialect === 'mysql' && token.type === 'string' && token.text.startsWith('"');
}

/** A string token's text as the server reads it: X'...' hex strings decoded. */
function stringText(token: Token): string {
  if (token.prefix !== 'X' || !/^(?:[0-9a-fA-F]{2})*$/.test(token.value)) return token.value;
  return Buffer.from(token.value, 'hex').toString('utf8');
}

/** Index of the matching `)` for the `(` at `at` (or the last token). */
function closeParen(tokens: readonly Token[], at: number): number {
  let depth = 0;
  for (let index = at; index < tokens.length; index++) {
    if (isPunct(tokens[index], '(')) depth++;
    else if (isPunct(tokens[index], ')') && --depth === 0) return index;
  }
  return tokens.length - 1;
}

/** File and library access that only the tokens show, whichever way the statement is read. */
export function addTokenMarkers(tokens: readonly Token[], facts: StatementFacts): void {
  tokens.forEach((token, at) => {
    if (token.type !== 'word') return;
    const next = tokens[at + 1];
    // MySQL CREATE FUNCTION ... SONAME and INSTALL PLUGIN load a shared library; T-SQL CREATE ASSEMBLY loads .NET code.
    if (token.value === 'SONAME' || (token.value === 'INSTALL' && isWord(next, 'PLUGIN', 'COMPONENT')) || (token.value === 'CREATE' && isWord(next, 'ASSEMBLY'))) {
      facts.addFunction(Markers.loadLibrary);
    }
    // T-SQL BACKUP ... TO DISK = '...' writes a server file; RESTORE ... FROM DISK = '...' reads one.
    if (token.value === 'BACKUP' || token.value === 'RESTORE') {
      const device = tokens.slice(at + 1).findIndex((t, i) => isWord(t, 'DISK', 'URL', 'TAPE') && isPunct(tokens[at + 2 + i], '='));
      if (device !== -1) facts.addFunction(Markers.backupFile);
    }
    // NEXT VALUE FOR seq (T-SQL, MariaDB) advances a sequence, as nextval() does.
    if (token.value === 'NEXT' && isWord(next, 'VALUE') && isWord(tokens[at + 2], 'FOR')) facts.addFunction(Markers.nextValueFor);
  });
}

export function fallbackFacts(tokens: readonly Token[], dialect: LexDialect, analyzeDynamic?: DynamicAnalyzer): StatementFacts {
  return new Fallback(tokens, dialect, analyzeDynamic).run();
}

class Fallback {
  readonly #tokens: readonly Token[];
  readonly #dialect: LexDialect;
  readonly #analyzeDynamic: DynamicAnalyzer | undefined;
  readonly #consumed = new Set<number>();
  readonly #ctes = new Set<string>();
  #facts = new StatementFacts('unknown');

  constructor(tokens: readonly Token[], dialect: LexDialect, analyzeDynamic: DynamicAnalyzer | undefined) {
    this.#tokens = tokens;
    this.#dialect = dialect;
    this.#analyzeDynamic = analyzeDynamic;
  }

  run(): StatementFacts {
    const tokens = this.#tokens;
    const leading = leadingKind(tokens, this.#dialect);
    const facts = (this.#facts = new StatementFacts(leading.kind));
    const routine = isRoutineDefinition(tokens);
    const hits = statementHits(tokens, this.#dialect);
    for (const hit of hits) facts.addKind(hit.kind);
    addTokenMarkers(tokens, facts);
    if (hits[0]?.at === 0 && hits[0].kind === 'unknown') facts.kind = 'unknown';
    if (routine) {
      // Only the definition happens now; the body is stored.
      this.routineTarget();
      return facts;
    }
    this.collectCtes();
    this.tables(hits);
    this.functions();
    this.dynamicSql(hits);
    this.whereAndLimit(hits, leading.kind);
    const onlyLeading = hits.every((hit) => hit.at === 0);
    // GRANT SELECT ON ...: the SELECT before ON is a privilege, not a query.
    const permissionEnd = DEFINITIONS.has(leading.kind) && isWord(tokens[0], 'GRANT', 'REVOKE', 'DENY') ? tokens.findIndex((token) => isWord(token, 'ON', 'TO')) : 0;
    const readsTables = tokens.some((token, at) => at > Math.max(0, permissionEnd) && isWord(token, 'SELECT'));
    const definesView = tokens.slice(1, 5).some((token) => isWord(token, 'VIEW'));
    const complete =
      onlyLeading &&
      facts.kind !== 'unknown' &&
      ((leading.simple && (!readsTables || leading.kind === 'show')) ||
        // mysqldump's extended INSERTs and large batches skip the tree; literal rows touch only the target.
        (!readsTables && this.literalInsert()) ||
        // DDL and permissions: the leading words name the object; a view's SELECT is stored, not run.
        (DEFINITIONS.has(leading.kind) && (!readsTables || (definesView && (leading.kind === 'create' || leading.kind === 'alter')))));
    if (!complete) facts.addKind('unknown');
    return facts;
  }

  /** INSERT [INTO] t [(columns)] VALUES (...), ... holding only literals and parameters; records the columns. */
  literalInsert(): boolean {
    const tokens = this.#tokens;
    if (!isWord(tokens[0], 'INSERT', 'REPLACE')) return false;
    const values = tokens.findIndex((token) => isWord(token, 'VALUES', 'VALUE'));
    if (values === -1) return false;
    const literal = tokens.slice(values + 1).every((token) => (token.type === 'word' ? LITERAL_WORDS.has(token.value) : token.type !== 'quoted'));
    if (!literal) return false;
    const target = this.#facts.tables.find((table) => table.access === 'write')?.name;
    const open = tokens.findIndex((token, at) => at < values && isPunct(token, '('));
    if (open !== -1) {
      for (const token of tokens.slice(open + 1, values)) {
        if (token.type === 'word' || token.type === 'quoted') this.#facts.addColumn(token.type === 'word' ? token.text : token.value, 'write', target);
      }
    }
    return true;
  }

  /** CREATE TRIGGER ... ON t writes t's behaviour; a procedure or function touches no table when created. */
  routineTarget(): void {
    const tokens = this.#tokens;
    if (!tokens.some((token) => isWord(token, 'TRIGGER'))) return;
    const on = tokens.findIndex((token) => isWord(token, 'ON'));
    if (on !== -1) this.readList(on + 1, 'write', { list: false });
  }

  collectCtes(): void {
    const tokens = this.#tokens;
    if (!isWord(tokens[0], 'WITH')) return;
    const body = withBodyIndex(tokens) ?? tokens.length;
    let depth = 0;
    for (let at = 1; at < body; at++) {
      const token = tokens[at]!;
      if (isPunct(token, '(')) depth++;
      else if (isPunct(token, ')')) depth--;
      else if (depth === 0 && (token.type === 'word' || token.type === 'quoted') && !isWord(token, 'RECURSIVE', 'AS')) {
        this.#ctes.add(token.value.toLowerCase());
      }
    }
  }

  /** Reads `name(.name)*` at `at`; returns the name as written and the index after it. */
  readName(at: number, consume = true): { name: string; end: number } | undefined {
    const tokens = this.#tokens;
    const parts: string[] = [];
    let index = at;
    while (index < tokens.length) {
      const token = tokens[index]!;
      if (isNameToken(token, this.#dialect)) parts.push(token.type === 'word' ? token.text : token.value);
      else if (parts.length > 0 && isPunct(token, '*')) {
        parts.push('*');
        index++;
        break;
      } else if (isPunct(token, '.') && parts.length > 0) {
        parts.push(''); // T-SQL db..table
        index++;
        continue;
      } else break;
      index++;
      if (!isPunct(tokens[index], '.')) break;
      index++;
    }
    if (parts.length === 0) return undefined;
    if (consume) for (let consumed = at; consumed < index; consumed++) this.#consumed.add(consumed);
    return { name: parts.join('.'), end: index };
  }

  /** Reads table names at `at`: one, or a comma list; skips aliases and hints; returns the index after. */
  readList(at: number, access: Access, options: { list: boolean; callable?: boolean }): number {
    const tokens = this.#tokens;
    let index = at;
    for (;;) {
      const read = this.readName(index);
      if (!read) return index;
      index = read.end;
      if (options.callable && isPunct(tokens[index], '(')) {
        // A table-valued function in FROM: the function scan reports it.
        for (let at2 = read.end - 1; at2 >= 0 && this.#consumed.has(at2); at2--) this.#consumed.delete(at2);
        index = closeParen(tokens, index) + 1;
      } else {
        const bare = !read.name.includes('.') && this.#ctes.has(read.name.toLowerCase());
        if (!bare) this.#facts.addTable(read.name, access);
      }
      if (isWord(tokens[index], 'AS')) index += 2;
      else if (tokens[index]?.type === 'quoted' || (tokens[index]?.type === 'word' && !AFTER_NAME.has(tokens[index]!.value))) index++;
      if (isWord(tokens[index], 'WITH') && isPunct(tokens[index + 1], '(')) index = closeParen(tokens, index + 1) + 1;
      if (!(options.list && isPunct(tokens[index], ','))) return index;
      index++;
    }
  }

  /** Skips modifier words (`LOW_PRIORITY`, `TOP (n) PERCENT`) after INSERT/UPDATE/DELETE. */
  skipModifiers(at: number): number {
    const tokens = this.#tokens;
    let index = at;
    for (;;) {
      const token = tokens[index];
      if (token?.type === 'word' && SKIP_AFTER_WRITE_WORD.has(token.value)) index++;
      else if (isWord(token, 'TOP')) {
        index = isPunct(tokens[index + 1], '(') ? closeParen(tokens, index + 1) + 1 : index + 2;
        if (isWord(tokens[index], 'PERCENT')) index++;
      } else return index;
    }
  }

  tables(hits: readonly StatementHit[]): void {
    const tokens = this.#tokens;
    const hitAt = new Map(hits.map((hit) => [hit.at, hit]));
    const leading = tokens[0]?.type === 'word' ? tokens[0].value : '';
    const calls: string[] = [];
    let deleteTargets = false;
    for (let at = 0; at < tokens.length; at++) {
      const token = tokens[at]!;
      if (isPunct(token, '(')) {
        calls.push(tokens[at - 1]?.type === 'word' ? tokens[at - 1]!.value : '');
        continue;
      }
      if (isPunct(token, ')')) {
        calls.pop();
        continue;
      }
      if (token.type !== 'word') continue;
      const next = tokens[at + 1];
      const hit = hitAt.get(at);
      switch (token.value) {
        case 'FROM': {
          if (FROM_IN_CALL.has(calls[calls.length - 1] ?? '')) break;
          // The FROM right after DELETE names its targets (MySQL allows several: DELETE FROM a, b USING ...).
          const written = !deleteTargets && this.isDeleteFrom(at, hits);
          at = this.readList(at + 1, written ? 'write' : 'read', { list: true, callable: true }) - 1;
          break;
        }
        case 'JOIN':
        case 'APPLY':
          at = this.readList(at + 1, 'read', { list: false, callable: true }) - 1;
          break;
        case 'USING':
          if (!isPunct(next, '(')) at = this.readList(at + 1, 'read', { list: true, callable: true }) - 1;
          break;
        case 'INTO':
          at = this.into(at) - 1;
          break;
        case 'UPDATE':
          if (hit && !hit.mergeAction && !isWord(next, 'STATISTICS')) at = this.readList(this.skipModifiers(at + 1), 'write', { list: true }) - 1;
          break;
        case 'INSERT':
        case 'REPLACE':
          if (hit && !hit.mergeAction && !isWord(tokens[this.skipModifiers(at + 1)], 'INTO')) {
            at = this.readList(this.skipModifiers(at + 1), 'write', { list: false }) - 1;
          }
          break;
        case 'DELETE':
          if (hit && !hit.mergeAction) {
            const after = this.skipModifiers(at + 1);
            if (!isWord(tokens[after], 'FROM')) {
              // MySQL DELETE t1, t2 FROM ...: the names before FROM are the targets.
              at = this.readList(after, 'write', { list: true }) - 1;
              deleteTargets = true;
            }
          }
          break;
        case 'MERGE': {
          let after = this.skipModifiers(at + 1);
          if (isWord(tokens[after], 'INTO')) after++;
          if (hit) at = this.readList(after, 'write', { list: false }) - 1;
          break;
        }
        case 'TRUNCATE':
          if (hit || at === 0) at = this.readList(isWord(next, 'TABLE') ? at + 2 : at + 1, 'write', { list: true }) - 1;
          break;
        case 'DROP':
        case 'CREATE':
        case 'ALTER':
          if (hit || at === 0) at = this.definition(at) - 1;
          break;
        case 'RENAME':
          if ((hit || at === 0) && isWord(next, 'TABLE')) this.renames(at + 2);
          break;
        case 'TABLE':
          if (at === 0) at = this.readList(1, 'read', { list: false }) - 1;
          else if (['ANALYZE', 'OPTIMIZE', 'REPAIR', 'CHECK', 'CHECKSUM', 'LOCK'].includes(leading) && at <= 2) {
            at = this.readList(at + 1, 'read', { list: true }) - 1;
          }
          break;
        case 'TABLES':
          if (leading === 'LOCK') at = this.readList(at + 1, 'read', { list: true }) - 1;
          break;
        case 'DESCRIBE':
        case 'DESC':
        case 'EXPLAIN':
        case 'HANDLER':
          if (at === 0) at = this.readList(1, 'read', { list: false }) - 1;
          break;
        case 'BULK':
          if (isWord(next, 'INSERT')) {
            this.#facts.addFunction(Markers.bulkInsert);
            at = this.readList(at + 2, 'write', { list: false }) - 1;
          }
          break;
        case 'STATISTICS':
          if (at === 1 && leading === 'UPDATE') at = this.readList(2, 'read', { list: false }) - 1;
          break;
        case 'LOAD':
          if (isWord(next, 'DATA') || isWord(next, 'XML')) {
            const local = tokens.slice(at + 2, at + 5).some((t) => isWord(t, 'LOCAL'));
            this.#facts.addFunction(local ? Markers.loadDataLocalInfile : Markers.loadDataInfile);
          }
          break;
        case 'ON':
          // CREATE INDEX i ON t / DROP INDEX i ON t / GRANT ... ON t / CREATE TRIGGER ... ON t.
          if (['CREATE', 'DROP', 'GRANT', 'REVOKE', 'DENY'].includes(leading) && !calls.length) {
            const after = isWord(next, 'TABLE') ? at + 2 : at + 1;
            if (!isPunct(tokens[after], '(')) at = this.readList(after, 'write', { list: true }) - 1;
          }
          break;
      }
    }
  }

  /** Whether the FROM at `at` is the one right after a DELETE hit (its first name is the target). */
  isDeleteFrom(at: number, hits: readonly StatementHit[]): boolean {
    const tokens = this.#tokens;
    const previous = hits.filter((hit) => hit.at < at).pop();
    if (!previous || previous.kind !== 'delete' || previous.mergeAction) return false;
    return this.skipModifiers(previous.at + 1) === at && isWord(tokens[at], 'FROM');
  }

  into(at: number): number {
    const tokens = this.#tokens;
    const next = tokens[at + 1];
    if (isWord(next, 'OUTFILE')) {
      this.#facts.addFunction(Markers.intoOutfile);
      return at + 2;
    }
    if (isWord(next, 'DUMPFILE')) {
      this.#facts.addFunction(Markers.intoDumpfile);
      return at + 2;
    }
    if (next?.type === 'variable') return at + 2;
    const after = isWord(next, 'TABLE') ? at + 2 : at + 1;
    const end = this.readList(after, 'write', { list: false });
    if (end > after && isWord(tokens[0], 'SELECT')) this.#facts.addKind('create'); // T-SQL SELECT ... INTO new_table
    return end;
  }

  /** DROP/CREATE/ALTER [modifiers] TABLE|VIEW [IF [NOT] EXISTS] names. */
  definition(at: number): number {
    const tokens = this.#tokens;
    let index = at + 1;
    while (index < tokens.length && index < at + 12) {
      const token = tokens[index]!;
      if (isWord(token, 'TABLE', 'VIEW')) {
        index++;
        if (isWord(tokens[index], 'IF')) index += isWord(tokens[index + 1], 'NOT') ? 3 : 2;
        return this.readList(index, 'write', { list: isWord(tokens[at], 'DROP') });
      }
      if (isPunct(token, '(') || isWord(token, 'INDEX', 'DATABASE', 'SCHEMA', 'USER', 'LOGIN', 'ROLE', 'PROCEDURE', 'FUNCTION', 'TRIGGER', 'EVENT')) {
        return index;
      }
      index++;
    }
    return index;
  }

  renames(at: number): void {
    const tokens = this.#tokens;
    let index = at;
    while (index < tokens.length) {
      const read = this.readName(index);
      if (!read) return;
      this.#facts.addTable(read.name, 'write');
      index = read.end;
      if (!isWord(tokens[index], 'TO') && !isPunct(tokens[index], ',')) return;
      index++;
    }
  }

  functions(): void {
    const tokens = this.#tokens;
    for (let at = 0; at < tokens.length - 1; at++) {
      const token = tokens[at]!;
      if (!isPunct(tokens[at + 1], '(') || this.#consumed.has(at)) continue;
      if (token.type !== 'word' && token.type !== 'quoted') continue;
      if (token.type === 'word' && NOT_FUNCTIONS.has(token.value)) continue;
      const parts = [token.type === 'word' ? token.text : token.value];
      let first = at;
      while (isPunct(tokens[first - 1], '.') && (tokens[first - 2]?.type === 'word' || tokens[first - 2]?.type === 'quoted')) {
        first -= 2;
        parts.unshift(tokens[first]!.type === 'word' ? tokens[first]!.text : tokens[first]!.value);
      }
      const before = tokens[first - 1];
      if (before?.type === 'word' && DEFINES_NAME.has(before.value)) continue;
      this.#facts.addFunction(parts.join('.'));
    }
    // A T-SQL batch that starts with a procedure name calls it.
    if (this.#dialect === 'mssql') {
      const bare = mssqlBareCall(tokens);
      if (bare !== undefined) this.#facts.addFunction(bare);
    }
    // CALL p without parentheses, and T-SQL EXEC p.
    for (let at = 0; at < tokens.length; at++) {
      const word = tokens[at];
      const callWord = isWord(word, 'CALL') || (this.#dialect === 'mssql' && isWord(word, 'EXEC', 'EXECUTE'));
      if (!callWord || isPunct(tokens[at + 1], '(') || isWord(tokens[at + 1], 'AS')) continue;
      let from = at + 1;
      if (tokens[from]?.type === 'variable' && isPunct(tokens[from + 1], '=')) from += 2;
      const read = this.readName(from, false);
      if (read && !isPunct(tokens[read.end], '(')) this.#facts.addFunction(read.name);
    }
  }

  /** PREPARE ... FROM '...' (MySQL), EXEC('...') and sp_executesql N'...' (T-SQL): analyse literal SQL. */
  dynamicSql(hits: readonly StatementHit[]): void {
    const tokens = this.#tokens;
    const literals: string[] = [];
    if (this.#dialect === 'mysql' && isWord(tokens[0], 'PREPARE')) {
      const from = tokens.findIndex((token) => isWord(token, 'FROM'));
      const source = tokens[from + 1];
      if (source?.type === 'string' && from + 2 === tokens.length) literals.push(stringText(source));
      this.#facts.kind = 'unknown';
    }
    if (this.#dialect === 'mssql') {
      const bare = mssqlBareCall(tokens);
      if (bare !== undefined && isDynamicSqlProcedure(bare)) literals.push(...this.procedureLiterals(mssqlProcedureAt(tokens, 0)!.end, hits));
      for (const hit of hits) {
        if (hit.kind !== 'unknown') continue;
        if (hit.at === 0) this.#facts.kind = 'unknown';
        literals.push(...this.execLiterals(hit.at, hits));
      }
    }
    if (!this.#analyzeDynamic) return;
    for (const literal of literals) for (const statement of this.#analyzeDynamic(literal)) this.#facts.absorb(statement);
  }

  /** The SQL of `EXEC ('a' + 'b')` when it is all literal, or the string arguments of `EXEC sp_executesql N'...'` and kin. */
  execLiterals(at: number, hits: readonly StatementHit[]): string[] {
    const tokens = this.#tokens;
    if (isPunct(tokens[at + 1], '(')) {
      const close = closeParen(tokens, at + 1);
      const inner = tokens.slice(at + 2, close);
      if (inner.length === 0 || inner.some((token, index) => (index % 2 === 0 ? token.type !== 'string' : !isPunct(token, '+')))) return [];
      return [inner.filter((token) => token.type === 'string').map((token) => token.value).join('')];
    }
    const procedure = mssqlProcedureAt(tokens, at + 1);
    return procedure && isDynamicSqlProcedure(procedure.name) ? this.procedureLiterals(procedure.end, hits) : [];
  }

  /**
   * Every string argument of a procedure that runs SQL text, up to the next statement: which one is the
   * SQL depends on the procedure and on named parameters, and a string that is not SQL adds nothing.
   */
  procedureLiterals(from: number, hits: readonly StatementHit[]): string[] {
    const tokens = this.#tokens;
    const end = hits.find((hit) => hit.at >= from)?.at ?? tokens.length;
    const literals: string[] = [];
    for (let at = from; at < end && !isPunct(tokens[at], ';'); at++) {
      if (tokens[at]!.type === 'string') literals.push(tokens[at]!.value);
    }
    return literals;
  }

  whereAndLimit(hits: readonly StatementHit[], leadingKindValue: StatementKind): void {
    const tokens = this.#tokens;
    const depths: number[] = [];
    let depth = 0;
    for (const token of tokens) {
      if (isPunct(token, ')')) depth--;
      depths.push(depth);
      if (isPunct(token, '(')) depth++;
    }
    const writes = hits.filter((hit) => (hit.kind === 'update' || hit.kind === 'delete') && !hit.mergeAction);
    if (leadingKindValue === 'update' || leadingKindValue === 'delete') {
      const main = isWord(tokens[0], 'WITH') ? withBodyIndex(tokens) : 0;
      if (main !== undefined && !writes.some((hit) => hit.at === main)) writes.unshift({ at: main, kind: leadingKindValue });
    }
    for (const hit of writes) {
      const end = hits.find((other) => other.at > hit.at && depths[other.at]! <= depths[hit.at]!)?.at ?? tokens.length;
      let restricted = false;
      for (let at = hit.at + 1; at < end; at++) {
        if (!isWord(tokens[at], 'WHERE') || depths[at] !== depths[hit.at]) continue;
        restricted = tokens.slice(at + 1, end).some((token) => token.type === 'quoted' || (token.type === 'word' && !CONSTANT_WORDS.has(token.value)));
        break;
      }
      this.#facts.restrictedWrites.push(restricted);
    }
    if (['select', 'update', 'delete'].includes(leadingKindValue)) {
      this.#facts.hasLimit = tokens.some((token, at) => {
        if (depths[at] !== 0 || token.type !== 'word') return false;
        if (token.value === 'LIMIT' || (token.value === 'FETCH' && isWord(tokens[at + 1], 'FIRST', 'NEXT'))) return true;
        return token.value === 'TOP' && isWord(tokens[at - 1], 'SELECT', 'UPDATE', 'DELETE', 'DISTINCT', 'ALL');
      });
    }
  }
}
