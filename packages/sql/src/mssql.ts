// SQL Server (T-SQL) analysis: the shared lexer and splitter, node-sql-parser's TransactSQL grammar, the token fallback.
import type { SqlParser } from '@sluice/core';
import { tsqlBlock } from './mssql-blocks.js';
import { tsqlTreeEdits } from './mssql-edits.js';
import { tsqlMerge } from './mssql-merge.js';
import { isWord } from './lexer.js';
import { loadTreeReader } from './node-sql-parser.js';
import { safeParse } from './safe-parse.js';
import { analyzeText, type DialectRules } from './token-analysis.js';

export async function mssqlRules(): Promise<DialectRules> {
  return {
    dialect: 'mssql',
    readers: [await loadTreeReader('TransactSQL')],
    treeEdits: tsqlTreeEdits,
    wrapper: (tokens, inner) => (isWord(tokens[0], 'IF', 'WHILE', 'BEGIN') ? tsqlBlock(tokens, inner) : tsqlMerge(tokens, inner)),
    // EXEC decides between a procedure call and dynamic SQL by its tokens; node-sql-parser misreads ##global temp tables.
    tokensOnly: (tokens) => isWord(tokens[0], 'EXEC', 'EXECUTE') || tokens.some((token) => token.type === 'word' && token.value.startsWith('##')),
  };
}

export async function createMssqlParser(): Promise<SqlParser> {
  const rules = await mssqlRules();
  return { dialect: 'mssql', parse: safeParse('mssql', (sql) => analyzeText(sql, rules)) };
}
