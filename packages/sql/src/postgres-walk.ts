// Walks one libpg-query statement tree and records its kind, tables, columns, functions and WHERE/LIMIT facts.
import type { StatementKind } from '@sluice/core';
import { Markers, StatementFacts } from './facts.js';

type Obj = Record<string, unknown>;

/** Names visible at one level of a query: CTEs, and FROM items by alias (undefined for subqueries and CTEs). */
interface Scope {
  readonly parent: Scope | undefined;
  readonly ctes: ReadonlySet<string>;
  readonly aliases: Map<string, string | undefined>;
  readonly sources: (string | undefined)[];
}

interface Context {
  readonly scope: Scope;
  /** Whether the statements met here run now: their kinds and WHERE facts count. */
  readonly executes: boolean;
  /** Plain EXPLAIN and definitions: nothing met here is written now. */
  readonly readOnly: boolean;
  /** Column references are recorded (not inside DDL definitions). */
  readonly columns: boolean;
}

const RELATION_DROP_TYPES = new Set([
  'OBJECT_TABLE',
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_FOREIGN_TABLE',
  'OBJECT_SEQUENCE',
  'OBJECT_INDEX',
]);

const FALSE_WORDS = new Set(['false', 'off', '0', 'no']);

export function pgStatementKind(type: string, body: Obj): StatementKind {
  switch (type) {
    case 'SelectStmt':
      return 'select';
    case 'InsertStmt':
      return 'insert';
    case 'UpdateStmt':
      return 'update';
    case 'DeleteStmt':
      return 'delete';
    case 'MergeStmt':
      return 'merge';
    case 'TruncateStmt':
      return 'truncate';
    case 'GrantStmt':
    case 'GrantRoleStmt':
      return body.is_grant ? 'grant' : 'revoke';
    case 'AlterDefaultPrivilegesStmt':
      return (body.action as Obj | undefined)?.is_grant ? 'grant' : 'revoke';
    case 'CopyStmt':
      return 'copy';
    case 'CallStmt':
      return 'call';
    case 'DoStmt':
      return 'block';
    case 'VariableSetStmt':
    case 'ConstraintsSetStmt':
    case 'DiscardStmt':
      return 'set';
    case 'VariableShowStmt':
      return 'show';
    case 'TransactionStmt':
      return 'transaction';
    case 'ExplainStmt':
      return 'explain';
    case 'PrepareStmt':
      return 'prepare';
    case 'ExecuteStmt':
      return 'execute';
    case 'ViewStmt':
    case 'IndexStmt':
    case 'CompositeTypeStmt':
    case 'RuleStmt':
    case 'DefineStmt':
    case 'ImportForeignSchemaStmt':
      return 'create';
    case 'RenameStmt':
    case 'CommentStmt':
    case 'SecLabelStmt':
    case 'ReassignOwnedStmt':
      return 'alter';
    case 'DropOwnedStmt':
      return 'drop';
  }
  if (type.startsWith('Create')) return 'create';
  if (type.startsWith('Alter')) return 'alter';
  if (type.startsWith('Drop')) return 'drop';
  return 'other';
}

/** Analyses one top-level statement node (`{ SelectStmt: {...} }`). */
export function analyzePgStatement(stmt: Obj): StatementFacts {
  const [type, body] = single(stmt) ?? ['', {}];
  const facts = new StatementFacts(pgStatementKind(type, body));
  const walker = new PgWalker(facts);
  walker.node(type, body, { scope: newScope(undefined), executes: true, readOnly: false, columns: true });
  facts.hasLimit = primaryLimit(type, body);
  return facts;
}

function single(value: unknown): [string, Obj] | undefined {
  if (!isObj(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1 || !/^[A-Z]/.test(keys[0]!)) return undefined;
  const body = value[keys[0]!];
  return [keys[0]!, isObj(body) ? body : {}];
}

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A struct field that may hold a bare struct or a `{ Type: struct }` wrapper. */
function unwrap(value: unknown, type: string): Obj | undefined {
  if (!isObj(value)) return undefined;
  const wrapped = value[type];
  return isObj(wrapped) ? wrapped : value;
}

/** The text of a string constant (`'role'`, or `'role'::text`); undefined for anything computed. */
function constantText(value: unknown): string | undefined {
  let node = single(value);
  if (node?.[0] === 'TypeCast') node = single(node[1].arg);
  if (node?.[0] !== 'A_Const') return undefined;
  const sval = node[1].sval;
  return isObj(sval) && typeof sval.sval === 'string' ? sval.sval : undefined;
}

function strings(items: unknown): string[] {
  return list(items)
    .map((item) => (isObj(item) && isObj(item.String) ? String(item.String.sval ?? '') : undefined))
    .filter((s): s is string => s !== undefined);
}

function newScope(parent: Scope | undefined, ctes: ReadonlySet<string> = new Set()): Scope {
  return { parent, ctes, aliases: new Map(), sources: [] };
}

function isCte(scope: Scope | undefined, name: string): boolean {
  for (let s = scope; s; s = s.parent) if (s.ctes.has(name)) return true;
  return false;
}

function truthyOption(arg: unknown): boolean {
  const option = single(arg);
  if (!option) return true;
  const [type, body] = option;
  if (type === 'String') return !FALSE_WORDS.has(String(body.sval ?? '').toLowerCase());
  if (type === 'Integer') return Number(body.ival ?? 0) !== 0;
  if (type === 'Boolean') return Boolean(body.boolval);
  return true;
}

function limitOf(select: Obj | undefined): boolean | undefined {
  if (!select) return undefined;
  const count = single(select.limitCount);
  if (!count) return false;
  return !(count[0] === 'A_Const' && count[1].isnull === true);
}

function primaryLimit(type: string, body: Obj): boolean | undefined {
  if (type === 'SelectStmt') return limitOf(body);
  const inner = single(body.query);
  if (inner && inner[0] === 'SelectStmt' && ['ExplainStmt', 'PrepareStmt', 'CopyStmt', 'DeclareCursorStmt', 'CreateTableAsStmt'].includes(type)) {
    return limitOf(inner[1]);
  }
  return undefined;
}

/** Whether a WHERE clause restricts rows: it must mention a column (`WHERE 1=1` does not) or a cursor position. */
function restricts(where: unknown): boolean {
  let found = false;
  const visit = (value: unknown): void => {
    if (found) return;
    if (Array.isArray(value)) value.forEach(visit);
    else if (isObj(value)) {
      if ('ColumnRef' in value || 'CurrentOfExpr' in value) found = true;
      else Object.values(value).forEach(visit);
    }
  };
  if (where === undefined) return false;
  visit(where);
  return found;
}

class PgWalker {
  readonly #facts: StatementFacts;

  constructor(facts: StatementFacts) {
    this.#facts = facts;
  }

  /** Visits any JSON value of the tree. */
  visit(value: unknown, ctx: Context): void {
    if (Array.isArray(value)) {
      for (const item of value) this.visit(item, ctx);
      return;
    }
    if (!isObj(value)) return;
    const node = single(value);
    if (node) return this.node(node[0], node[1], ctx);
    // Struct fields typed in C (RangeVar, FuncCall, ...) come without the `{ Type: ... }` wrapper.
    if ('relname' in value) return void this.relation(value, 'read', ctx);
    if ('funcname' in value && 'funcformat' in value) return this.funcCall(value, ctx);
    this.fields(value, ctx);
  }

  fields(body: Obj, ctx: Context, skip: readonly string[] = []): void {
    for (const [key, value] of Object.entries(body)) if (!skip.includes(key)) this.visit(value, ctx);
  }

  node(type: string, body: Obj, ctx: Context): void {
    switch (type) {
      case 'RangeVar':
        this.relation(body, 'read', ctx);
        return;
      case 'FuncCall':
        return this.funcCall(body, ctx);
      case 'ColumnRef':
        return this.columnRef(body, ctx);
      case 'SelectStmt':
        return this.select(body, ctx);
      case 'InsertStmt':
        return this.insert(body, ctx);
      case 'UpdateStmt':
        return this.update(body, ctx);
      case 'DeleteStmt':
        return this.delete(body, ctx);
      case 'MergeStmt':
        return this.merge(body, ctx);
      case 'CommonTableExpr':
        return this.visit(body.ctequery, ctx);
      case 'ExplainStmt':
        return this.explain(body, ctx);
      case 'CopyStmt':
        return this.copy(body, ctx);
      case 'DoStmt':
        // Its body, a string constant, is read (postgres.ts): the analysis is for this text only.
        this.#facts.readsConstants = true;
        this.#facts.addKind('unknown');
        return;
      case 'CreateFunctionStmt':
        // `LANGUAGE 'c'` may be a string constant, and so may the SET clause's values.
        this.#facts.readsConstants = true;
        // The body is stored, not run; its name is created, not called. LANGUAGE C loads a shared library now.
        if (list(body.options).some((option) => {
          const elem = unwrap(option, 'DefElem');
          return elem?.defname === 'language' && strings([elem.arg])[0]?.toLowerCase() === 'c';
        })) this.#facts.addFunction(Markers.loadLibrary);
        // A SET clause (`SET role = admin`) takes effect whenever the function runs.
        for (const option of list(body.options)) {
          const elem = unwrap(option, 'DefElem');
          if (elem?.defname === 'set') this.visit(elem.arg, ctx);
        }
        return;
      case 'VariableSetStmt':
        return this.variableSet(body);
      case 'CreateTrigStmt':
        this.relation(unwrap(body.relation, 'RangeVar'), 'write', ctx);
        return;
      case 'ViewStmt':
        this.relation(unwrap(body.view, 'RangeVar'), 'write', ctx);
        return this.visit(body.query, { ...ctx, executes: false, readOnly: true });
      case 'RuleStmt':
        this.relation(unwrap(body.relation, 'RangeVar'), 'write', ctx);
        return this.fields(body, { ...ctx, executes: false, readOnly: true }, ['relation']);
      case 'CreateTableAsStmt': {
        const into = unwrap(body.into, 'IntoClause');
        this.relation(unwrap(into?.rel, 'RangeVar'), 'write', ctx);
        return this.visit(body.query, ctx);
      }
      case 'CreateStmt':
      case 'AlterTableStmt':
        this.relation(unwrap(body.relation, 'RangeVar'), 'write', ctx);
        return this.fields(body, { ...ctx, columns: false }, ['relation']);
      case 'IndexStmt':
      case 'RenameStmt':
      case 'RefreshMatViewStmt':
        this.relation(unwrap(body.relation, 'RangeVar'), 'write', ctx);
        return this.fields(body, { ...ctx, columns: false }, ['relation']);
      case 'DropStmt':
        return this.drop(body, ctx);
      case 'TruncateStmt':
        for (const relation of list(body.relations)) this.relation(unwrap(relation, 'RangeVar'), 'write', ctx);
        return;
      case 'GrantStmt':
        if (body.targtype === 'ACL_TARGET_OBJECT' && body.objtype === 'OBJECT_TABLE') {
          for (const relation of list(body.objects)) this.relation(unwrap(relation, 'RangeVar'), 'write', ctx);
        }
        return;
      case 'LoadStmt':
        this.#facts.addFunction(Markers.loadLibrary);
        return;
      default:
        return this.fields(body, ctx);
    }
  }

  /** Records a relation; returns its name, or undefined for a CTE reference. */
  relation(rangeVar: Obj | undefined, access: 'read' | 'write', ctx: Context): string | undefined {
    if (!rangeVar) return undefined;
    const relname = String(rangeVar.relname ?? '');
    if (!rangeVar.schemaname && !rangeVar.catalogname && isCte(ctx.scope, relname)) return undefined;
    const name = [rangeVar.catalogname, rangeVar.schemaname, relname].filter(Boolean).join('.');
    this.#facts.addTable(name, ctx.readOnly ? 'read' : access);
    return name;
  }

  funcCall(body: Obj, ctx: Context): void {
    const name = strings(body.funcname).join('.');
    this.#facts.addFunction(name);
    if (name.toLowerCase() === 'set_config' || name.toLowerCase() === 'pg_catalog.set_config') {
      // The setting's name is the first argument's value.
      this.#facts.readsConstants = true;
      this.#facts.addSetting(constantText(list(body.args)[0]) ?? '*', 'set');
    }
    this.fields(body, ctx, ['funcname']);
  }

  variableSet(body: Obj): void {
    switch (body.kind) {
      case 'VAR_RESET':
        return this.#facts.addSetting(String(body.name ?? '*'), 'reset');
      case 'VAR_RESET_ALL':
        return this.#facts.addSetting('all', 'reset');
      default:
        // SET, SET LOCAL, SET … TO DEFAULT, SET TRANSACTION (named `transaction`).
        return this.#facts.addSetting(String(body.name ?? '*'), 'set');
    }
  }

  columnRef(body: Obj, ctx: Context): void {
    if (!ctx.columns) return;
    const parts = list(body.fields).map((field) => {
      const node = single(field);
      return node?.[0] === 'String' ? String(node[1].sval ?? '') : '*';
    });
    const name = parts.pop();
    if (!name) return;
    this.#facts.addColumn(name, 'read', this.resolveTable(parts, ctx.scope));
  }

  resolveTable(qualifier: string[], scope: Scope): string | undefined {
    if (qualifier.length === 0) {
      for (let s: Scope | undefined = scope; s; s = s.parent) {
        if (s.sources.length > 0) return s.sources.length === 1 ? s.sources[0] : undefined;
      }
      return undefined;
    }
    if (qualifier.length === 1) {
      for (let s: Scope | undefined = scope; s; s = s.parent) {
        if (s.aliases.has(qualifier[0]!)) return s.aliases.get(qualifier[0]!);
      }
    }
    return qualifier.join('.');
  }

  /** Adds FROM items to a scope by alias; subqueries and functions get no table. */
  collectSources(items: unknown, scope: Scope): void {
    for (const item of list(items)) {
      const node = single(item);
      if (!node) continue;
      const [type, body] = node;
      if (type === 'JoinExpr') {
        this.collectSources([body.larg, body.rarg], scope);
        continue;
      }
      const alias = unwrap(body.alias, 'Alias')?.aliasname as string | undefined;
      if (type === 'RangeVar') {
        const relname = String(body.relname ?? '');
        const cte = !body.schemaname && isCte(scope, relname);
        const name = cte ? undefined : [body.catalogname, body.schemaname, relname].filter(Boolean).join('.');
        scope.aliases.set(alias ?? relname, name);
        scope.sources.push(name);
      } else if (alias) {
        scope.aliases.set(alias, undefined);
        scope.sources.push(undefined);
      } else {
        scope.sources.push(undefined);
      }
    }
  }

  /** Visits a WITH clause's queries in order and returns the context that sees its names. */
  withClause(clause: unknown, ctx: Context): Context {
    const withClause = unwrap(clause, 'WithClause');
    if (!withClause) return ctx;
    const names = new Set<string>();
    for (const item of list(withClause.ctes)) {
      const cte = unwrap(item, 'CommonTableExpr');
      const name = String(cte?.ctename ?? '');
      if (withClause.recursive) names.add(name);
      this.visit(cte?.ctequery, { ...ctx, scope: newScope(ctx.scope, new Set(names)) });
      names.add(name);
    }
    return { ...ctx, scope: newScope(ctx.scope, names) };
  }

  select(body: Obj, outer: Context): void {
    const ctx = this.withClause(body.withClause, outer);
    if (body.op && body.op !== 'SETOP_NONE') {
      this.select(unwrap(body.larg, 'SelectStmt') ?? {}, ctx);
      this.select(unwrap(body.rarg, 'SelectStmt') ?? {}, ctx);
      this.fields(body, ctx, ['withClause', 'larg', 'rarg']);
      return;
    }
    const scope = newScope(ctx.scope);
    this.collectSources(body.fromClause, scope);
    const inner = { ...ctx, scope };
    this.visit(body.fromClause, inner);
    const into = unwrap(body.intoClause, 'IntoClause');
    if (into) {
      this.relation(unwrap(into.rel, 'RangeVar'), 'write', ctx);
      if (ctx.executes) this.#facts.addKind('create');
    }
    this.fields(body, inner, ['withClause', 'fromClause', 'intoClause']);
  }

  /** Starts a data-modifying statement: its WITH clause, its target and the scope its clauses see. */
  target(body: Obj, outer: Context, kind: StatementKind): { ctx: Context; table: string | undefined } {
    const ctx = this.withClause(body.withClause, outer);
    if (ctx.executes) this.#facts.addKind(kind);
    const relation = unwrap(body.relation, 'RangeVar');
    const table = this.relation(relation, 'write', ctx);
    const scope = newScope(ctx.scope);
    const relname = String(relation?.relname ?? '');
    scope.aliases.set((unwrap(relation?.alias, 'Alias')?.aliasname as string | undefined) ?? relname, table);
    scope.sources.push(table);
    return { ctx: { ...ctx, scope }, table };
  }

  writtenColumns(targets: unknown, table: string | undefined, ctx: Context): void {
    for (const item of list(targets)) {
      const target = unwrap(item, 'ResTarget');
      if (!target) continue;
      if (target.name && ctx.columns) this.#facts.addColumn(String(target.name), ctx.readOnly ? 'read' : 'write', table);
      this.visit(target.val, ctx);
      this.visit(target.indirection, ctx);
    }
  }

  insert(body: Obj, outer: Context): void {
    const { ctx, table } = this.target(body, outer, 'insert');
    this.writtenColumns(body.cols, table, ctx);
    this.visit(body.selectStmt, ctx);
    const conflict = unwrap(body.onConflictClause, 'OnConflictClause');
    if (conflict) {
      ctx.scope.aliases.set('excluded', table);
      this.visit(conflict.infer, ctx);
      this.writtenColumns(conflict.targetList, table, ctx);
      this.visit(conflict.whereClause, ctx);
    }
    this.visit(body.returningClause ?? body.returningList, ctx);
  }

  update(body: Obj, outer: Context): void {
    const { ctx, table } = this.target(body, outer, 'update');
    this.collectSources(body.fromClause, ctx.scope);
    this.visit(body.fromClause, ctx);
    this.writtenColumns(body.targetList, table, ctx);
    this.visit(body.whereClause, ctx);
    if (ctx.executes) this.#facts.restrictedWrites.push(restricts(body.whereClause));
    this.visit(body.returningClause ?? body.returningList, ctx);
  }

  delete(body: Obj, outer: Context): void {
    const { ctx } = this.target(body, outer, 'delete');
    this.collectSources(body.usingClause, ctx.scope);
    this.visit(body.usingClause, ctx);
    this.visit(body.whereClause, ctx);
    if (ctx.executes) this.#facts.restrictedWrites.push(restricts(body.whereClause));
    this.visit(body.returningClause ?? body.returningList, ctx);
  }

  merge(body: Obj, outer: Context): void {
    const { ctx, table } = this.target(body, outer, 'merge');
    this.collectSources([body.sourceRelation], ctx.scope);
    this.visit(body.sourceRelation, ctx);
    this.visit(body.joinCondition, ctx);
    for (const item of list(body.mergeWhenClauses)) {
      const clause = unwrap(item, 'MergeWhenClause');
      if (!clause) continue;
      const command = { CMD_UPDATE: 'update', CMD_INSERT: 'insert', CMD_DELETE: 'delete' }[String(clause.commandType)];
      if (command && ctx.executes) this.#facts.addKind(command as StatementKind);
      this.visit(clause.condition, ctx);
      this.writtenColumns(clause.targetList, table, ctx);
      this.visit(clause.values, ctx);
    }
    this.visit(body.returningClause ?? body.returningList, ctx);
  }

  explain(body: Obj, ctx: Context): void {
    const analyze = list(body.options).some((option) => {
      const elem = unwrap(option, 'DefElem');
      if (elem?.defname !== 'analyze') return false;
      // `ANALYZE 0` and `ANALYZE 1` differ only in a constant: this text's analysis is its own.
      if (elem.arg !== undefined) this.#facts.readsConstants = true;
      return truthyOption(elem.arg);
    });
    this.visit(body.query, { ...ctx, executes: ctx.executes && analyze, readOnly: ctx.readOnly || !analyze });
  }

  copy(body: Obj, ctx: Context): void {
    // `FROM ''` reaches the tree as no file name at all (empty values are left out): the constant decides.
    this.#facts.readsConstants = true;
    const relation = unwrap(body.relation, 'RangeVar');
    const table = this.relation(relation, body.is_from ? 'write' : 'read', ctx);
    if (ctx.columns) {
      for (const column of strings(body.attlist)) this.#facts.addColumn(column, body.is_from && !ctx.readOnly ? 'write' : 'read', table);
    }
    this.visit(body.query, ctx);
    if (body.is_program) this.#facts.addFunction(Markers.copyProgram);
    else if (body.filename) this.#facts.addFunction(Markers.copyFile);
    this.visit(body.whereClause, ctx);
  }

  drop(body: Obj, ctx: Context): void {
    if (!RELATION_DROP_TYPES.has(String(body.removeType))) return;
    for (const object of list(body.objects)) {
      const items = isObj(object) && isObj(object.List) ? object.List.items : undefined;
      const name = strings(items).join('.');
      if (name) this.#facts.addTable(name, ctx.readOnly ? 'read' : 'write');
    }
  }
}
