// T-SQL MERGE, which node-sql-parser cannot read: its target, source, conditions and actions, read from the tokens.
//
// Entity Framework Core inserts several rows with `MERGE t USING (VALUES ...) AS i (...) ON 1=0 WHEN NOT
// MATCHED THEN INSERT ... OUTPUT ...`. The reading is complete only when every part has the shape below and
// no condition or value hides a statement or a subquery; anything else is left to the token fallback.
//
//   MERGE [TOP (n) [PERCENT]] [INTO] target [WITH (hints)] [[AS] alias]
//   USING { table [[AS] alias] | (VALUES ...) [AS] alias [(columns)] | (SELECT ...) [AS] alias [(columns)] }
//   ON condition
//   { WHEN [NOT] MATCHED [BY TARGET | BY SOURCE] [AND condition] THEN { UPDATE SET ... | DELETE | INSERT [(columns)] { VALUES (...) | DEFAULT VALUES } } }...
//   [OUTPUT ...] [OPTION (...)]
import { StatementFacts } from './facts.js';
import { statementHits } from './keywords.js';
import { isPunct, isWord, type Token } from './lexer.js';
import { tsqlTreeEdits } from './mssql-edits.js';

type Inner = (tokens: readonly Token[]) => StatementFacts;

/** Words inside an expression that are neither columns nor functions. */
const EXPRESSION_WORDS = new Set([
  'AND', 'OR', 'NOT', 'NULL', 'IS', 'IN', 'LIKE', 'BETWEEN', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END', 'AS', 'EXISTS',
  'COLLATE', 'DEFAULT', 'ESCAPE', 'ASC', 'DESC', 'OVER', 'PARTITION', 'BY', 'ORDER',
]);
const CLAUSE_ENDS = new Set(['WHEN', 'OUTPUT', 'OPTION']);

function closeParen(tokens: readonly Token[], at: number): number {
  let depth = 0;
  for (let index = at; index < tokens.length; index++) {
    if (isPunct(tokens[index], '(')) depth++;
    else if (isPunct(tokens[index], ')') && --depth === 0) return index;
  }
  return -1;
}

/** Index of the first of `words` at parenthesis depth 0 from `at`, or the end. */
function nextAtDepth0(tokens: readonly Token[], at: number, words: ReadonlySet<string>): number {
  let depth = 0;
  for (let index = at; index < tokens.length; index++) {
    const token = tokens[index]!;
    if (isPunct(token, '(')) depth++;
    else if (isPunct(token, ')')) depth--;
    else if (depth === 0 && token.type === 'word' && words.has(token.value)) return index;
  }
  return tokens.length;
}

function nameOf(token: Token): string {
  return token.type === 'word' ? token.text : token.value;
}

function isName(token: Token | undefined): boolean {
  return token?.type === 'quoted' || (token?.type === 'word' && !token.value.startsWith('@'));
}

/** `a.b.c` (or `db..t`) at `at`: the name as written and the index after it. */
function readDotted(tokens: readonly Token[], at: number): { name: string; parts: string[]; end: number } | undefined {
  const parts: string[] = [];
  let index = at;
  while (isName(tokens[index])) {
    parts.push(nameOf(tokens[index]!));
    index++;
    if (!isPunct(tokens[index], '.')) break;
    index++;
    while (isPunct(tokens[index], '.')) {
      parts.push('');
      index++;
    }
  }
  return parts.length === 0 ? undefined : { name: parts.join('.'), parts, end: index };
}

class MergeReader {
  readonly facts = new StatementFacts('merge');
  readonly #tokens: readonly Token[];
  readonly #inner: Inner;
  /** Alias (lower case) → table it stands for; undefined for a derived source. */
  readonly #aliases = new Map<string, string | undefined>();
  #target = '';

  constructor(tokens: readonly Token[], inner: Inner) {
    this.#tokens = tokens;
    this.#inner = inner;
  }

  read(): boolean {
    const tokens = this.#tokens;
    let at = 1;
    if (isWord(tokens[at], 'TOP')) {
      const close = closeParen(tokens, at + 1);
      if (!isPunct(tokens[at + 1], '(') || close === -1 || !this.expression(tokens.slice(at + 2, close))) return false;
      at = close + 1;
      if (isWord(tokens[at], 'PERCENT')) at++;
    }
    if (isWord(tokens[at], 'INTO')) at++;
    const target = readDotted(tokens, at);
    if (!target) return false;
    this.#target = target.name;
    this.facts.addTable(target.name, 'write');
    at = target.end;
    if (isWord(tokens[at], 'WITH') && isPunct(tokens[at + 1], '(')) at = closeParen(tokens, at + 1) + 1;
    if (at === 0) return false;
    at = this.alias(at, target.name, target.parts[target.parts.length - 1]!);
    if (!isWord(tokens[at], 'USING')) return false;
    const afterSource = this.source(at + 1);
    if (afterSource === undefined || !isWord(tokens[afterSource], 'ON')) return false;
    at = nextAtDepth0(tokens, afterSource + 1, CLAUSE_ENDS);
    if (!this.expression(tokens.slice(afterSource + 1, at))) return false;
    let actions = 0;
    while (isWord(tokens[at], 'WHEN')) {
      const after = this.whenClause(at + 1);
      if (after === undefined) return false;
      at = after;
      actions++;
    }
    if (actions === 0) return false;
    if (isWord(tokens[at], 'OUTPUT')) {
      // The rows it returns are the ones just written; OUTPUT ... INTO writes one more table.
      for (const table of tsqlTreeEdits(tokens.slice(at)).writes) this.facts.addTable(table, 'write');
      const end = nextAtDepth0(tokens, at + 1, new Set(['OPTION']));
      const output = tokens.slice(at + 1, end);
      if (statementHits(output, 'mssql').length > 0 || output.some((token) => isWord(token, 'SELECT'))) return false;
      output.forEach((token, index) => {
        if (isName(token) && isPunct(output[index + 1], '(') && !isPunct(output[index - 1], '.')) this.facts.addFunction(readDotted(output, index)!.name);
      });
      at = end;
    }
    if (isWord(tokens[at], 'OPTION') && isPunct(tokens[at + 1], '(')) {
      const close = closeParen(tokens, at + 1);
      if (close === -1) return false;
      at = close + 1;
    }
    return at === tokens.length;
  }

  /** `[AS] alias` at `at` (none before USING/ON); records what the alias stands for; returns the index after. */
  alias(at: number, table: string | undefined, fallbackName: string | undefined, required = false): number {
    const tokens = this.#tokens;
    let index = at;
    if (isWord(tokens[index], 'AS')) index++;
    const token = tokens[index];
    if (isName(token) && !isWord(token, 'USING', 'ON')) {
      this.#aliases.set(nameOf(token!).toLowerCase(), table);
      return index + 1;
    }
    if (required) return -1;
    if (fallbackName) this.#aliases.set(fallbackName.toLowerCase(), table);
    return index;
  }

  /** The USING source at `at`; returns the index after it (and its alias), or undefined. */
  source(at: number): number | undefined {
    const tokens = this.#tokens;
    if (isPunct(tokens[at], '(')) {
      const close = closeParen(tokens, at);
      if (close === -1) return undefined;
      const body = tokens.slice(at + 1, close);
      if (isWord(body[0], 'VALUES')) {
        if (!this.expression(body.slice(1))) return undefined;
      } else if (isWord(body[0], 'SELECT')) {
        const query = this.#inner(body);
        if (query.kind !== 'select' || [...query.kinds].some((kind) => kind !== 'select')) return undefined;
        // A plain subquery adds what it reads, not a kind.
        for (const table of query.tables) this.facts.addTable(table.name, 'read');
        for (const column of query.columns) this.facts.addColumn(column.name, 'read', column.table);
        for (const name of query.functions) this.facts.addFunction(name);
      } else return undefined;
      let index = this.alias(close + 1, undefined, undefined, true);
      if (index === -1) return undefined;
      if (isPunct(tokens[index], '(')) index = closeParen(tokens, index) + 1; // column names of the derived source
      return index === 0 ? undefined : index;
    }
    const table = readDotted(tokens, at);
    if (!table) return undefined;
    this.facts.addTable(table.name, 'read');
    let index = table.end;
    if (isWord(tokens[index], 'WITH') && isPunct(tokens[index + 1], '(')) index = closeParen(tokens, index + 1) + 1;
    return index === 0 ? undefined : this.alias(index, table.name, table.parts[table.parts.length - 1]!);
  }

  /** After WHEN: `[NOT] MATCHED [BY TARGET|SOURCE] [AND condition] THEN action`; returns the index after. */
  whenClause(at: number): number | undefined {
    const tokens = this.#tokens;
    let index = at;
    if (isWord(tokens[index], 'NOT')) index++;
    if (!isWord(tokens[index], 'MATCHED')) return undefined;
    index++;
    if (isWord(tokens[index], 'BY')) {
      if (!isWord(tokens[index + 1], 'TARGET', 'SOURCE')) return undefined;
      index += 2;
    }
    if (isWord(tokens[index], 'AND')) {
      const then = nextAtDepth0(tokens, index + 1, new Set(['THEN']));
      if (!this.expression(tokens.slice(index + 1, then))) return undefined;
      index = then;
    }
    if (!isWord(tokens[index], 'THEN')) return undefined;
    index++;
    const end = nextAtDepth0(tokens, index + 1, CLAUSE_ENDS);
    if (isWord(tokens[index], 'DELETE')) {
      this.facts.addKind('delete');
      return index + 1 === end ? end : undefined;
    }
    if (isWord(tokens[index], 'UPDATE') && isWord(tokens[index + 1], 'SET')) {
      this.facts.addKind('update');
      return this.assignments(tokens.slice(index + 2, end)) ? end : undefined;
    }
    if (isWord(tokens[index], 'INSERT')) {
      this.facts.addKind('insert');
      let next = index + 1;
      if (isPunct(tokens[next], '(')) {
        const close = closeParen(tokens, next);
        if (close === -1) return undefined;
        for (const column of tokens.slice(next + 1, close)) {
          if (isPunct(column, ',')) continue;
          if (!isName(column)) return undefined;
          this.facts.addColumn(nameOf(column), 'write', this.#target);
        }
        next = close + 1;
      }
      if (isWord(tokens[next], 'DEFAULT') && isWord(tokens[next + 1], 'VALUES')) return next + 2 === end ? end : undefined;
      if (!isWord(tokens[next], 'VALUES') || !isPunct(tokens[next + 1], '(')) return undefined;
      const close = closeParen(tokens, next + 1);
      if (close + 1 !== end || !this.expression(tokens.slice(next + 2, close))) return undefined;
      return end;
    }
    return undefined;
  }

  /** `[alias.]column = expression, ...` of UPDATE SET. */
  assignments(tokens: readonly Token[]): boolean {
    let depth = 0;
    let start = 0;
    const parts: (readonly Token[])[] = [];
    tokens.forEach((token, at) => {
      if (isPunct(token, '(')) depth++;
      else if (isPunct(token, ')')) depth--;
      else if (depth === 0 && isPunct(token, ',')) {
        parts.push(tokens.slice(start, at));
        start = at + 1;
      }
    });
    parts.push(tokens.slice(start));
    for (const part of parts) {
      const column = readDotted(part, 0);
      if (!column || !isPunct(part[column.end], '=')) return false;
      this.facts.addColumn(column.parts[column.parts.length - 1]!, 'write', this.#target);
      if (!this.expression(part.slice(column.end + 1))) return false;
    }
    return true;
  }

  /** An expression of names, literals, parameters, operators and function calls: records its columns and functions. */
  expression(tokens: readonly Token[]): boolean {
    if (tokens.length === 0) return false;
    if (statementHits(tokens, 'mssql').length > 0 || tokens.some((token) => isWord(token, 'SELECT'))) return false;
    for (let at = 0; at < tokens.length; at++) {
      const token = tokens[at]!;
      if (!isName(token) || (token.type === 'word' && EXPRESSION_WORDS.has(token.value)) || token.value.startsWith('$')) continue;
      if (isWord(tokens[at - 1], 'AS')) continue; // CAST(x AS int)
      const name = readDotted(tokens, at)!;
      at = name.end - 1;
      if (isPunct(tokens[name.end], '(')) {
        this.facts.addFunction(name.name);
        continue;
      }
      const column = name.parts[name.parts.length - 1]!;
      const qualifier = name.parts[name.parts.length - 2];
      if (qualifier === undefined) this.facts.addColumn(column, 'read');
      else {
        const key = qualifier.toLowerCase();
        this.facts.addColumn(column, 'read', this.#aliases.has(key) ? this.#aliases.get(key) : name.parts.slice(0, -1).join('.'));
      }
    }
    return true;
  }
}

export function tsqlMerge(tokens: readonly Token[], inner: Inner): StatementFacts | undefined {
  if (!isWord(tokens[0], 'MERGE')) return undefined;
  const reader = new MergeReader(tokens, inner);
  return reader.read() ? reader.facts : undefined;
}
