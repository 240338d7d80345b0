// Walks one node-sql-parser statement tree (MySQL or T-SQL) and records kind, tables, columns, functions, WHERE/LIMIT facts.
import type { StatementKind } from '@sluice/core';
import { Markers, StatementFacts, type Access } from './facts.js';

type Obj = Record<string, unknown>;

/** Statement types this walker understands; any other tree is handed to the token fallback. */
const STATEMENT_KINDS: Readonly<Record<string, StatementKind>> = {
  select: 'select',
  insert: 'insert',
  replace: 'insert',
  update: 'update',
  delete: 'delete',
  create: 'create',
  drop: 'drop',
  alter: 'alter',
  rename: 'alter',
  truncate: 'truncate',
  grant: 'grant',
  revoke: 'revoke',
  call: 'call',
  set: 'set',
  use: 'set',
  show: 'show',
  desc: 'show',
  transaction: 'transaction',
  lock: 'other',
  unlock: 'other',
  load_data: 'copy',
  declare: 'set',
  if: 'block',
  exec: 'call',
};

/** Tree types that are statements when nested (a CTE, a branch of IF): each adds its kind. */
const NESTED_STATEMENTS = new Set(['insert', 'replace', 'update', 'delete', 'create', 'drop', 'alter', 'rename', 'truncate', 'grant', 'revoke', 'call', 'exec', 'load_data']);
/** Function-shaped nodes that are syntax, not calls. */
const NOT_FUNCTIONS = new Set(['exists', 'not exists']);

interface Scope {
  readonly parent: Scope | undefined;
  readonly ctes: ReadonlySet<string>;
  readonly aliases: Map<string, string | undefined>;
  readonly sources: (string | undefined)[];
}

interface Context {
  readonly scope: Scope;
  readonly executes: boolean;
  readonly readOnly: boolean;
}

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return value === null || value === undefined ? [] : [value];
}

/** A name that the parser gives as a string or as a `{ value }` literal. */
function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isObj(value) && typeof value.value === 'string') return value.value;
  return undefined;
}

function newScope(parent: Scope | undefined, ctes: ReadonlySet<string> = new Set()): Scope {
  return { parent, ctes, aliases: new Map(), sources: [] };
}

function isCte(scope: Scope | undefined, name: string): boolean {
  for (let s = scope; s; s = s.parent) if (s.ctes.has(name.toLowerCase())) return true;
  return false;
}

/** Schema-qualified name of a table entry (`{ db, schema, table }`), as written. */
function tableName(entry: Obj): string | undefined {
  const table = text(entry.table) ?? text(entry.view);
  if (!table) return undefined;
  return [text(entry.server), text(entry.db), text(entry.schema), table].filter((part) => part).join('.');
}

function columnName(node: Obj): string | undefined {
  const raw = node.column;
  return text(raw) ?? (isObj(raw) ? text(raw.expr) : undefined);
}

function hasColumn(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasColumn);
  if (!isObj(value)) return false;
  // T-SQL variables come back as column references: `WHERE @a = @a` mentions no column.
  if (value.type === 'column_ref') return !columnName(value)?.startsWith('@');
  return Object.entries(value).some(([key, inner]) => key !== 'loc' && hasColumn(inner));
}

function hasLimit(ast: Obj): boolean {
  const limit = ast.limit;
  if (isObj(limit) && ((Array.isArray(limit.value) && limit.value.length > 0) || limit.fetch)) return true;
  return isObj(ast.top);
}

/** Analyses a tree; undefined when its shape is not one this walker understands. */
export function analyzeNodeSqlAst(ast: unknown): StatementFacts | undefined {
  if (!isObj(ast) || typeof ast.type !== 'string') return undefined;
  const kind = STATEMENT_KINDS[ast.type];
  if (!kind) return undefined;
  // T-SQL `UPDATE TOP (n) t` comes back with TOP as a function and the table as its alias: the target is lost.
  if (ast.type === 'update' && list(ast.table).some((entry) => isObj(entry) && !text(entry.table))) return undefined;
  const facts = new StatementFacts(kind);
  new NodeSqlWalker(facts).statement(ast, { scope: newScope(undefined), executes: true, readOnly: false });
  if (['select', 'update', 'delete'].includes(ast.type)) facts.hasLimit = hasLimit(ast);
  return facts;
}

class NodeSqlWalker {
  readonly #facts: StatementFacts;

  constructor(facts: StatementFacts) {
    this.#facts = facts;
  }

  visit(value: unknown, ctx: Context): void {
    if (Array.isArray(value)) {
      for (const item of value) this.visit(item, ctx);
      return;
    }
    if (!isObj(value)) return;
    if (isObj(value.ast) && ('tableList' in value || 'parentheses' in value || 'columnList' in value)) {
      return this.statement(value.ast, ctx);
    }
    switch (value.type) {
      case 'column_ref':
        return this.column(value, ctx);
      case 'function':
      case 'aggr_func':
        // A function node without an argument list is a bare word (CURRENT_TIMESTAMP, or T-SQL's `ON` in SET NOCOUNT ON).
        if (value.type === 'aggr_func' || isObj(value.args)) this.functionCall(value);
        return this.fields(value, ctx, ['name']);
      default:
        if (typeof value.type === 'string' && (value.type === 'select' || NESTED_STATEMENTS.has(value.type)) && ('table' in value || 'from' in value || 'name' in value || 'module' in value)) {
          return this.statement(value, ctx);
        }
        return this.fields(value, ctx);
    }
  }

  fields(value: Obj, ctx: Context, skip: readonly string[] = []): void {
    for (const [key, inner] of Object.entries(value)) if (key !== 'loc' && !skip.includes(key)) this.visit(inner, ctx);
  }

  functionCall(node: Obj): void {
    let name: string | undefined;
    if (node.type === 'aggr_func') name = text(node.name);
    else if (isObj(node.name)) {
      const parts = list((node.name as Obj).name).map(text);
      const schema = text((node.name as Obj).schema);
      name = [schema, ...parts].filter((part) => part).join('.');
    } else name = text(node.name);
    if (name && !NOT_FUNCTIONS.has(name.toLowerCase())) this.#facts.addFunction(name);
  }

  column(node: Obj, ctx: Context): void {
    const name = columnName(node);
    if (!name || name.startsWith('@')) return; // T-SQL variables read like columns
    const qualifier = text(node.table);
    this.#facts.addColumn(name, 'read', this.resolveTable(qualifier, ctx.scope));
  }

  resolveTable(qualifier: string | undefined, scope: Scope): string | undefined {
    if (!qualifier) {
      for (let s: Scope | undefined = scope; s; s = s.parent) {
        if (s.sources.length > 0) return s.sources.length === 1 ? s.sources[0] : undefined;
      }
      return undefined;
    }
    for (let s: Scope | undefined = scope; s; s = s.parent) if (s.aliases.has(qualifier)) return s.aliases.get(qualifier);
    return qualifier;
  }

  /** Records a table reference; returns its name, or undefined for a CTE. */
  table(entry: Obj, access: Access, ctx: Context): string | undefined {
    const name = tableName(entry);
    if (!name) return undefined;
    if (!entry.db && !entry.schema && isCte(ctx.scope, name)) return undefined;
    this.#facts.addTable(name, ctx.readOnly ? 'read' : access);
    return name;
  }

  /** Adds FROM entries to a scope and records them as read (or as written when in `targets`). */
  from(entries: unknown, scope: Scope, ctx: Context, targets: ReadonlySet<string> = new Set()): void {
    const inner = { ...ctx, scope };
    for (const item of list(entries)) {
      if (!isObj(item)) continue;
      const alias = text(item.as);
      if (isObj(item.expr) && isObj((item.expr as Obj).ast)) {
        if (alias) scope.aliases.set(alias, undefined);
        scope.sources.push(undefined);
        this.statement((item.expr as Obj).ast as Obj, ctx);
      } else if (text(item.table)) {
        const name = tableName(item)!;
        const cte = !item.db && !item.schema && isCte(scope, name);
        const written = targets.has(name) || (alias !== undefined && targets.has(alias));
        const recorded = cte ? undefined : this.table(item, written ? 'write' : 'read', ctx);
        scope.aliases.set(alias ?? text(item.table)!, recorded);
        scope.sources.push(recorded);
      } else if (isObj(item.expr)) {
        // A table-valued function or other expression in FROM.
        if (alias) scope.aliases.set(alias, undefined);
        scope.sources.push(undefined);
        this.visit(item.expr, inner);
      }
      this.visit(item.on, inner);
    }
  }

  withClause(clause: unknown, ctx: Context): Context {
    const items = list(clause);
    if (items.length === 0) return ctx;
    const names = new Set<string>();
    for (const item of items) {
      if (!isObj(item)) continue;
      const name = text(item.name)?.toLowerCase();
      const statement = isObj(item.stmt) ? (item.stmt as Obj).ast ?? item.stmt : undefined;
      this.visit(isObj(statement) && 'type' in statement ? { ast: statement, parentheses: true } : statement, {
        ...ctx,
        scope: newScope(ctx.scope, new Set(names)),
      });
      if (name) names.add(name);
    }
    return { ...ctx, scope: newScope(ctx.scope, names) };
  }

  statement(ast: Obj, outer: Context): void {
    const type = String(ast.type);
    const ctx = this.withClause(ast.with, outer);
    if (ctx.executes && NESTED_STATEMENTS.has(type)) this.#facts.addKind(STATEMENT_KINDS[type]!);
    switch (type) {
      case 'select':
        return this.select(ast, ctx);
      case 'insert':
      case 'replace':
        return this.insert(ast, ctx);
      case 'update':
        return this.update(ast, ctx);
      case 'delete':
        return this.delete(ast, ctx);
      case 'create':
        return this.create(ast, ctx);
      case 'drop':
      case 'truncate':
        for (const entry of list(ast.name)) if (isObj(entry) && text(entry.table)) this.table(entry, 'write', ctx);
        if (isObj(ast.table)) this.table(ast.table, 'write', ctx);
        return;
      case 'alter':
        for (const entry of list(ast.table)) if (isObj(entry)) this.table(entry, 'write', ctx);
        return;
      case 'rename':
        for (const pair of list(ast.table)) for (const entry of list(pair)) if (isObj(entry)) this.table(entry, 'write', ctx);
        return;
      case 'lock':
        for (const entry of list(ast.tables)) {
          if (isObj(entry)) this.table(isObj(entry.table) ? entry.table : entry, 'read', ctx);
        }
        return;
      case 'load_data':
        if (isObj(ast.table)) this.table(ast.table, 'write', ctx);
        this.#facts.addFunction(ast.local ? Markers.loadDataLocalInfile : Markers.loadDataInfile);
        return;
      case 'exec':
        if (isObj(ast.module)) {
          const name = tableName(ast.module);
          if (name) this.#facts.addFunction(name);
        }
        return this.visit(ast.parameters, ctx);
      case 'desc':
        if (text(ast.table)) this.#facts.addTable(text(ast.table)!, 'read');
        return;
      case 'grant':
      case 'revoke':
      case 'show':
      case 'use':
      case 'transaction':
      case 'unlock':
        return;
      default:
        return this.fields(ast, ctx, ['with', 'type']);
    }
  }

  select(ast: Obj, ctx: Context): void {
    const scope = newScope(ctx.scope);
    this.from(ast.from, scope, ctx);
    const inner = { ...ctx, scope };
    const into = ast.into;
    if (isObj(into) && into.expr !== undefined && into.expr !== null) {
      const keyword = String(into.keyword ?? '').toUpperCase();
      if (keyword === 'OUTFILE') this.#facts.addFunction(Markers.intoOutfile);
      else if (keyword === 'DUMPFILE') this.#facts.addFunction(Markers.intoDumpfile);
      else if (typeof into.expr === 'string' || (isObj(into.expr) && text(into.expr.table))) {
        // T-SQL SELECT ... INTO creates and fills a table.
        const name = typeof into.expr === 'string' ? into.expr : tableName(into.expr as Obj);
        if (name) {
          this.#facts.addTable(name, ctx.readOnly ? 'read' : 'write');
          if (ctx.executes) this.#facts.addKind('create');
        }
      }
    }
    this.fields(ast, inner, ['with', 'type', 'from', 'into', '_next']);
    if (isObj(ast._next)) this.statement(ast._next, ctx);
  }

  insert(ast: Obj, ctx: Context): void {
    const targets = list(ast.table).filter(isObj);
    const target = targets[0] ? this.table(targets[0], 'write', ctx) : undefined;
    const scope = newScope(ctx.scope);
    scope.sources.push(target);
    if (targets[0]) scope.aliases.set(text(targets[0].as) ?? text(targets[0].table)!, target);
    const inner = { ...ctx, scope };
    for (const column of list(ast.columns)) {
      const name = text(column) ?? (isObj(column) ? text(column.column) ?? text((column.expr as Obj | undefined)?.column) : undefined);
      if (name) this.#facts.addColumn(name, ctx.readOnly ? 'read' : 'write', target);
    }
    this.assignments(ast.set, target, inner);
    const duplicate = ast.on_duplicate_update;
    if (isObj(duplicate)) this.assignments(duplicate.set, target, inner);
    this.visit(ast.values, ctx);
    if (isObj(ast.select)) this.visit({ ast: ast.select, parentheses: true }, ctx);
    this.visit(ast.returning ?? ast.output, inner);
  }

  assignments(items: unknown, target: string | undefined, ctx: Context): void {
    for (const item of list(items)) {
      if (!isObj(item)) continue;
      const name = text(item.column);
      const table = text(item.table) ? this.resolveTable(text(item.table), ctx.scope) : target;
      if (name) this.#facts.addColumn(name, ctx.readOnly ? 'read' : 'write', table);
      this.visit(item.value, ctx);
    }
  }

  update(ast: Obj, ctx: Context): void {
    const entries = list(ast.table).filter(isObj);
    const setTables = new Set(list(ast.set).map((item) => (isObj(item) ? text(item.table) : undefined)).filter((t): t is string => !!t));
    const anyUnqualified = list(ast.set).some((item) => isObj(item) && !text(item.table));
    const targets = new Set<string>(setTables);
    if (anyUnqualified || targets.size === 0) {
      const first = entries[0];
      if (first) targets.add(text(first.as) ?? tableName(first)!);
    }
    const scope = newScope(ctx.scope);
    const inner = { ...ctx, scope };
    // T-SQL `UPDATE alias SET ... FROM table alias`: the target names an entry of FROM.
    const fromEntries = list(ast.from).filter(isObj);
    const fromNames = new Set(fromEntries.flatMap((entry) => [text(entry.as), tableName(entry)]).filter((n) => n));
    this.from(
      entries.filter((entry) => !fromNames.has(tableName(entry)!)),
      scope,
      ctx,
      targets,
    );
    this.from(fromEntries, scope, ctx, targets);
    const firstTarget = [...targets][0];
    this.assignments(ast.set, firstTarget ? this.resolveTable(firstTarget, scope) : undefined, inner);
    this.visit(ast.where, inner);
    if (ctx.executes) this.#facts.restrictedWrites.push(hasColumn(ast.where));
    this.fields(ast, inner, ['with', 'type', 'table', 'set', 'from', 'where']);
  }

  delete(ast: Obj, ctx: Context): void {
    const targets = new Set(list(ast.table).filter(isObj).map((entry) => text(entry.as) ?? tableName(entry)).filter((name): name is string => !!name));
    const scope = newScope(ctx.scope);
    const inner = { ...ctx, scope };
    const fromEntries = list(ast.from).filter(isObj);
    // T-SQL `DELETE TOP (n) FROM t` comes back with TOP as the target: the first FROM entry is the target.
    const first = fromEntries[0];
    if (targets.size === 0 && first) targets.add(text(first.as) ?? tableName(first) ?? '');
    if (fromEntries.length === 0) {
      this.from(ast.table, scope, ctx, targets);
    } else {
      this.from(fromEntries, scope, ctx, targets);
      for (const target of targets) {
        if (!scope.aliases.has(target)) this.#facts.addTable(target, ctx.readOnly ? 'read' : 'write');
      }
    }
    this.visit(ast.where, inner);
    if (ctx.executes) this.#facts.restrictedWrites.push(hasColumn(ast.where));
    this.fields(ast, inner, ['with', 'type', 'table', 'from', 'where']);
  }

  create(ast: Obj, ctx: Context): void {
    const keyword = String(ast.keyword ?? '').toLowerCase();
    if (keyword === 'table' || keyword === 'index') {
      for (const entry of list(ast.table)) if (isObj(entry)) this.table(entry, 'write', ctx);
      if (isObj(ast.query_expr)) this.visit({ ast: ast.query_expr, parentheses: true }, ctx);
      if (isObj(ast.as) && 'type' in ast.as) this.visit({ ast: ast.as, parentheses: true }, ctx);
      return;
    }
    if (keyword === 'view') {
      if (isObj(ast.view)) this.table(ast.view, 'write', ctx);
      if (isObj(ast.select)) this.visit({ ast: ast.select, parentheses: true }, { ...ctx, executes: false, readOnly: true });
    }
    // Databases, users, routines, triggers: nothing is read or written now, and routine bodies are not run.
  }
}
