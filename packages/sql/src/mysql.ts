// MySQL and MariaDB analysis: the shared lexer and splitter, node-sql-parser's MySQL then MariaDB grammar, the token fallback.
import type { SqlParser } from '@sluice/core';
import { StatementFacts } from './facts.js';
import { isWord, type Token } from './lexer.js';
import { loadTreeReader } from './node-sql-parser.js';
import { safeParse } from './safe-parse.js';
import { analyzeText, type DialectRules } from './token-analysis.js';

const EXPLAIN_WORDS = new Set(['EXPLAIN', 'DESCRIBE', 'DESC']);
const EXPLAINABLE = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'REPLACE', 'TABLE', 'WITH', 'VALUES']);

export async function mysqlRules(): Promise<DialectRules> {
  return {
    dialect: 'mysql',
    readers: await Promise.all([loadTreeReader('MySQL'), loadTreeReader('MariaDB')]),
    tokensOnly: (tokens) => isWord(tokens[0], 'PREPARE', 'EXECUTE', 'DEALLOCATE'),
    wrapper: explainWrapper,
  };
}

export async function createMysqlParser(): Promise<SqlParser> {
  const rules = await mysqlRules();
  return { dialect: 'mysql', parse: safeParse('mysql', (sql) => analyzeText(sql, rules)) };
}

/**
 * EXPLAIN [ANALYZE] stmt, and MariaDB's ANALYZE stmt. With ANALYZE the statement runs, so its kinds
 * count; plain EXPLAIN only plans it, so its tables count as read and its kinds do not.
 */
function explainWrapper(tokens: readonly Token[], inner: (tokens: readonly Token[]) => StatementFacts): StatementFacts | undefined {
  const first = tokens[0];
  let analyze: boolean;
  if (isWord(first) && EXPLAIN_WORDS.has(first!.value)) analyze = false;
  else if (isWord(first, 'ANALYZE') && !isWord(tokens[1], 'TABLE', 'NO_WRITE_TO_BINLOG', 'LOCAL')) analyze = true;
  else return undefined;
  let at = 1;
  for (;;) {
    if (isWord(tokens[at], 'ANALYZE')) {
      analyze = true;
      at++;
    } else if (isWord(tokens[at], 'FORMAT') && tokens[at + 1]?.value === '=') at += 3;
    else if (isWord(tokens[at], 'EXTENDED', 'PARTITIONS')) at++;
    else break;
  }
  const start = tokens[at];
  if (!(isWord(start) && EXPLAINABLE.has(start!.value)) && !(start?.type === 'punct' && start.value === '(')) return undefined;
  const explained = inner(tokens.slice(at));
  const facts = new StatementFacts('explain');
  if (analyze) {
    facts.absorb(explained);
    facts.hasLimit = explained.hasLimit;
    return facts;
  }
  for (const table of explained.tables) facts.addTable(table.name, 'read');
  for (const column of explained.columns) facts.addColumn(column.name, 'read', column.table);
  for (const name of explained.functions) facts.addFunction(name);
  if (explained.kinds.has('unknown') || explained.kind === 'unknown') facts.addKind('unknown');
  return facts;
}
