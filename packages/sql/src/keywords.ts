// Statement keywords of MySQL/MariaDB and T-SQL: the kind a leading keyword starts, and where statements hide inside others.
import type { StatementKind } from '@sluice/core';
import { isPunct, isWord, type LexDialect, type Token } from './lexer.js';

export interface Leading {
  readonly kind: StatementKind;
  /** The token fallback knows everything such a statement can touch (SET NAMES, COMMIT, SHOW ...). */
  readonly simple: boolean;
}

/** A word that starts a statement of `kind`, at token index `at`. */
export interface StatementHit {
  readonly at: number;
  readonly kind: StatementKind;
  /** A MERGE action (`THEN DELETE`): it has no WHERE clause of its own. */
  readonly mergeAction?: boolean;
}

const MYSQL_ADMIN = new Set([
  'FLUSH', 'KILL', 'OPTIMIZE', 'REPAIR', 'CHECK', 'CHECKSUM', 'RESET', 'PURGE', 'INSTALL', 'UNINSTALL', 'SHUTDOWN',
  'RESTART', 'CACHE', 'BINLOG', 'CHANGE', 'STOP', 'CLONE', 'IMPORT', 'SIGNAL', 'RESIGNAL', 'GET', 'BACKUP',
]);
const MSSQL_ADMIN = new Set([
  'PRINT', 'WAITFOR', 'RAISERROR', 'THROW', 'DBCC', 'BACKUP', 'RESTORE', 'RECONFIGURE', 'CHECKPOINT', 'KILL',
  'SHUTDOWN', 'OPEN', 'FETCH', 'CLOSE', 'DEALLOCATE', 'GOTO', 'RETURN', 'BREAK', 'CONTINUE', 'READTEXT', 'RECEIVE', 'SEND',
]);
const MSSQL_BLOCKS = new Set(['IF', 'WHILE', 'ELSE', 'TRY', 'CATCH', 'END']);
const TRANSACTION_WORDS = new Set(['COMMIT', 'ROLLBACK', 'SAVEPOINT', 'RELEASE', 'XA', 'SAVE']);

/** Words that start a statement even in the middle of another (reserved words only, so never a bare column name). */
const HIDDEN: Readonly<Record<LexDialect, Readonly<Record<string, StatementKind>>>> = {
  mysql: {
    INSERT: 'insert', UPDATE: 'update', DELETE: 'delete', REPLACE: 'insert', DROP: 'drop', ALTER: 'alter',
    CREATE: 'create', GRANT: 'grant', REVOKE: 'revoke', CALL: 'call', LOAD: 'copy', RENAME: 'alter',
  },
  mssql: {
    INSERT: 'insert', UPDATE: 'update', DELETE: 'delete', MERGE: 'merge', DROP: 'drop', TRUNCATE: 'truncate',
    ALTER: 'alter', CREATE: 'create', GRANT: 'grant', REVOKE: 'revoke', DENY: 'grant', EXEC: 'call',
    EXECUTE: 'call', BULK: 'copy', SHUTDOWN: 'other', KILL: 'other', BACKUP: 'other', RESTORE: 'other',
    DBCC: 'other', RECONFIGURE: 'other', USE: 'set',
  },
};
/** A statement word right after these is a clause of the statement around it (`ON DELETE`, `FOR UPDATE`, `OR REPLACE`). */
const CLAUSE_PRECEDERS = new Set(['ON', 'FOR', 'KEY', 'OR', 'AFTER', 'BEFORE', 'OF', 'INSTEAD', 'WITH', 'SHOW']);
/** What follows `ON DELETE` / `ON UPDATE` in a foreign key: the action. */
const REFERENTIAL_ACTIONS = new Set(['CASCADE', 'NO', 'SET', 'RESTRICT']);

/**
 * T-SQL needs no semicolon, so `SET NOCOUNT ON DELETE FROM t` is a SET and a DELETE: after ON, a
 * statement word is a clause only in a foreign key's `ON DELETE CASCADE` / `ON UPDATE NO ACTION`.
 */
function statementAfterOn(tokens: readonly Token[], at: number, dialect: LexDialect): boolean {
  if (dialect !== 'mssql' || !isWord(tokens[at - 1], 'ON')) return false;
  const next = tokens[at + 1];
  return !(isWord(tokens[at], 'DELETE', 'UPDATE') && isWord(next) && REFERENTIAL_ACTIONS.has(next!.value));
}
/** Inside ALTER, DROP/ALTER/CREATE are sub-clauses unless they name a whole object. */
const OBJECT_WORDS = new Set(['TABLE', 'VIEW', 'DATABASE', 'SCHEMA', 'PROCEDURE', 'PROC', 'FUNCTION', 'TRIGGER', 'USER', 'LOGIN', 'ROLE', 'EVENT']);
const ROUTINE_WORDS = new Set(['PROCEDURE', 'PROC', 'FUNCTION', 'TRIGGER', 'EVENT']);
const WITH_BODIES: Readonly<Record<string, StatementKind>> = {
  SELECT: 'select', INSERT: 'insert', REPLACE: 'insert', UPDATE: 'update', DELETE: 'delete', MERGE: 'merge',
};

const EXPLAIN_OPTIONS = new Set(['ANALYZE', 'FORMAT', 'EXTENDED', 'PARTITIONS', 'VALUES']);

const simple = (kind: StatementKind): Leading => ({ kind, simple: true });
const full = (kind: StatementKind): Leading => ({ kind, simple: false });

function wordAt(tokens: readonly Token[], at: number): string | undefined {
  const token = tokens[at];
  return token?.type === 'word' ? token.value : undefined;
}


/** The kind of a WITH statement: the first statement word after its CTE definitions. */
export function withBodyIndex(tokens: readonly Token[]): number | undefined {
  let depth = 0;
  for (let at = 1; at < tokens.length; at++) {
    const token = tokens[at]!;
    if (isPunct(token, '(')) depth++;
    else if (isPunct(token, ')')) depth--;
    else if (depth === 0 && token.type === 'word' && token.value in WITH_BODIES) return at;
  }
  return undefined;
}

/** Whether the statement defines a routine whose body is stored, not run (CREATE PROCEDURE, TRIGGER, ...). */
export function isRoutineDefinition(tokens: readonly Token[]): boolean {
  if (!isWord(tokens[0], 'CREATE', 'ALTER')) return false;
  for (let at = 1; at < tokens.length && at < 16; at++) {
    const token = tokens[at]!;
    if (isPunct(token, '(') || isWord(token, 'TABLE', 'INDEX', 'DATABASE', 'SCHEMA', 'USER', 'LOGIN', 'ROLE', 'VIEW')) return false;
    if (token.type === 'word' && ROUTINE_WORDS.has(token.value)) return true;
  }
  return false;
}

export function leadingKind(tokens: readonly Token[], dialect: LexDialect): Leading {
  const mysql = dialect === 'mysql';
  const first = tokens[0];
  if (isPunct(first, '(')) return full('select');
  const w0 = wordAt(tokens, 0);
  const w1 = wordAt(tokens, 1);
  const w2 = wordAt(tokens, 2);
  if (w0 === undefined) return full('unknown');
  switch (w0) {
    case 'SELECT':
    case 'VALUES':
    case 'TABLE':
      return full('select');
    case 'WITH': {
      const body = withBodyIndex(tokens);
      return full(body === undefined ? 'select' : WITH_BODIES[wordAt(tokens, body)!]!);
    }
    case 'INSERT':
    case 'REPLACE':
      return full('insert');
    case 'UPDATE':
      return !mysql && w1 === 'STATISTICS' ? simple('other') : full('update');
    case 'DELETE':
      return full('delete');
    case 'MERGE':
      return mysql ? full('unknown') : full('merge');
    case 'DROP':
      return mysql && w1 === 'PREPARE' ? simple('other') : full('drop');
    case 'TRUNCATE':
      return full('truncate');
    case 'ALTER':
    case 'RENAME':
      return full('alter');
    case 'CREATE':
      return full('create');
    case 'GRANT':
      return full('grant');
    case 'REVOKE':
      return full('revoke');
    case 'DENY':
      return mysql ? full('unknown') : full('grant');
    case 'CALL':
      return simple('call');
    case 'EXEC':
    case 'EXECUTE':
      if (mysql) return simple('execute');
      return w1 === 'AS' ? simple('set') : simple('call');
    case 'PREPARE':
      return full('unknown');
    case 'DEALLOCATE':
      return simple('other');
    case 'DO':
      return mysql ? simple('select') : full('unknown');
    case 'SET':
      if (mysql && (w1 === 'PASSWORD' || (w1 === 'DEFAULT' && w2 === 'ROLE'))) return full('alter');
      return simple('set');
    case 'USE':
    case 'REVERT':
    case 'SETUSER':
      return simple('set');
    case 'DECLARE':
      return mysql ? full('unknown') : simple('set');
    case 'SHOW':
    case 'DESCRIBE':
    case 'DESC':
    case 'HELP':
      return simple('show');
    case 'EXPLAIN':
      if (w1 === 'FOR') return simple('explain'); // EXPLAIN FOR CONNECTION n
      // EXPLAIN t is DESCRIBE t; EXPLAIN of a statement is read by the dialect's wrapper.
      return w1 !== undefined && !EXPLAIN_OPTIONS.has(w1) && !(w1 in WITH_BODIES) && w1 !== 'TABLE' && w1 !== 'WITH' ? simple('show') : full('explain');
    case 'ANALYZE':
      if (w1 === 'TABLE' || w1 === 'NO_WRITE_TO_BINLOG' || w1 === 'LOCAL') return simple('other');
      return full('explain');
    case 'BEGIN':
      if (mysql) return w1 === 'NOT' ? full('block') : simple('transaction');
      if (w1 === 'TRAN' || w1 === 'TRANSACTION' || w1 === 'DISTRIBUTED') return simple('transaction');
      return w1 === 'DIALOG' || w1 === 'CONVERSATION' ? full('other') : full('block');
    case 'START':
      return simple(w1 === 'TRANSACTION' ? 'transaction' : 'other');
    case 'HANDLER':
      // HANDLER t OPEN / READ reads rows directly.
      return mysql ? simple('select') : full('unknown');
    case 'LOCK':
    case 'UNLOCK':
      return simple('other');
    case 'LOAD':
      return w1 === 'DATA' || w1 === 'XML' ? full('copy') : simple('other');
    case 'BULK':
      return full('copy');
    case 'ENABLE':
    case 'DISABLE':
      return mysql ? full('unknown') : full('alter');
    case 'WRITETEXT':
    case 'UPDATETEXT':
      return mysql ? full('unknown') : full('update');
  }
  if (TRANSACTION_WORDS.has(w0)) return simple('transaction');
  if (mysql && MYSQL_ADMIN.has(w0)) return simple('other');
  if (!mysql && MSSQL_ADMIN.has(w0)) return simple('other');
  if (!mysql && MSSQL_BLOCKS.has(w0)) return full('block');
  return full('unknown');
}

/**
 * System procedures whose argument is SQL text: calling one is dynamic SQL, not a procedure call.
 * sp_execute and sp_cursorexecute run a handle prepared earlier, whose text this string does not show.
 */
const DYNAMIC_SQL_PROCEDURES = new Set([
  'sp_executesql', 'sp_prepare', 'sp_prepexec', 'sp_prepexecrpc', 'sp_execute', 'sp_cursoropen', 'sp_cursorprepare',
  'sp_cursorprepexec', 'sp_cursorexecute',
]);

/** The procedure a T-SQL call names from `at` (after EXEC, or a bare call first in a batch): its name and the index after it. */
export function mssqlProcedureAt(tokens: readonly Token[], at: number): { name: string; end: number } | undefined {
  let next = at;
  if (tokens[next]?.type === 'variable' && isPunct(tokens[next + 1], '=')) next += 2; // EXEC @rc = proc
  const parts: string[] = [];
  while (tokens[next] && (tokens[next]!.type === 'word' || tokens[next]!.type === 'quoted' || isPunct(tokens[next], '.'))) {
    if (!isPunct(tokens[next], '.')) parts.push(tokens[next]!.value);
    next++;
  }
  return parts.length === 0 ? undefined : { name: parts.join('.'), end: next };
}

/** Whether a procedure name (as written, qualified or not) is one that runs SQL text. */
export function isDynamicSqlProcedure(name: string): boolean {
  return DYNAMIC_SQL_PROCEDURES.has(name.slice(name.lastIndexOf('.') + 1).toLowerCase());
}

/** T-SQL EXEC at `at`: impersonation (set), a procedure call, or dynamic SQL (unknown). */
export function mssqlExecKind(tokens: readonly Token[], at: number): StatementKind {
  const next = at + 1;
  if (isWord(tokens[next], 'AS')) return 'set';
  if (isPunct(tokens[next], '(')) return 'unknown';
  if (tokens[next]?.type === 'variable' && !isPunct(tokens[next + 1], '=')) return 'unknown'; // EXEC @name: the procedure name is data
  const procedure = mssqlProcedureAt(tokens, next);
  if (!procedure) return 'unknown';
  return isDynamicSqlProcedure(procedure.name) ? 'unknown' : 'call';
}

/**
 * T-SQL runs a batch's first statement as a procedure call when it starts with a name that is no
 * keyword (`xp_cmdshell 'dir'`, `sp_executesql N'...'`). The procedure's name, or undefined.
 */
export function mssqlBareCall(tokens: readonly Token[]): string | undefined {
  const first = tokens[0];
  if (!(first?.type === 'quoted' || (first?.type === 'word' && !first.value.startsWith('@') && !first.value.startsWith('#')))) return undefined;
  if (leadingKind(tokens, 'mssql').kind !== 'unknown' || MSSQL_BLOCKS.has(first.value)) return undefined;
  const procedure = mssqlProcedureAt(tokens, 0);
  if (!procedure) return undefined;
  const after = tokens[procedure.end];
  const argument = after === undefined || isPunct(after, ';') || after.type === 'string' || after.type === 'variable' || after.type === 'number';
  return argument ? procedure.name : undefined;
}

/**
 * Every word that starts a statement in the piece: the leading one and any hidden inside it
 * (T-SQL needs no semicolon between statements; a misread tree can hide one too).
 */
export function statementHits(tokens: readonly Token[], dialect: LexDialect): StatementHit[] {
  const hits: StatementHit[] = [];
  // A piece may start with a parenthesis or a number; what hides after it still counts.
  const leading = wordAt(tokens, 0) ?? '';
  if (isRoutineDefinition(tokens)) return hits;
  const hidden = HIDDEN[dialect];
  const permissions = leading === 'GRANT' || leading === 'REVOKE' || leading === 'DENY';
  let inPermissionList = permissions;
  for (let at = 0; at < tokens.length; at++) {
    const token = tokens[at]!;
    if (token.type !== 'word') continue;
    if (inPermissionList) {
      if (token.value === 'ON' || token.value === 'TO') inPermissionList = false;
      continue;
    }
    const kind = hidden[token.value];
    if (!kind) continue;
    const next = tokens[at + 1];
    const previous = tokens[at - 1];
    const execWord = dialect === 'mssql' && (token.value === 'EXEC' || token.value === 'EXECUTE');
    if (execWord) {
      if (previous?.type === 'word' && previous.value === 'WITH') continue;
      hits.push({ at, kind: mssqlExecKind(tokens, at) });
      continue;
    }
    if (token.value === 'LOAD' && !isWord(next, 'DATA', 'XML')) continue;
    if (token.value === 'TRUNCATE' && !isWord(next, 'TABLE')) continue;
    if (token.value === 'BULK' && !isWord(next, 'INSERT')) continue;
    if (token.value === 'USE' && isWord(next, 'HINT', 'PLAN')) continue;
    if (token.value === 'UPDATE' && isWord(next, 'STATISTICS')) continue;
    if (token.value === 'DROP' && isWord(next, 'PREPARE')) continue;
    if (at === 0) {
      hits.push({ at, kind });
      continue;
    }
    const mergeAction = leading === 'MERGE' && isWord(previous, 'THEN');
    if (!mergeAction && (isPunct(next, '(') || isPunct(previous, '=') || isPunct(previous, '.'))) continue;
    if (previous?.type === 'word' && CLAUSE_PRECEDERS.has(previous.value) && !statementAfterOn(tokens, at, dialect)) continue;
    if (leading === 'ALTER' && (token.value === 'DROP' || token.value === 'ALTER' || token.value === 'CREATE')) {
      if (!(next?.type === 'word' && OBJECT_WORDS.has(next.value))) continue;
    }
    hits.push(mergeAction ? { at, kind, mergeAction } : { at, kind });
  }
  return hits;
}
