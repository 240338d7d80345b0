// Collects what one statement touches while its tree or tokens are walked, then freezes it as a StatementInfo.
import type { ColumnRef, SettingChange, StatementInfo, StatementKind, TableRef } from '@sluice/core';

export type Access = 'read' | 'write';

/** Marker names put in `functions` for file and program access that is not a function call. */
export const Markers = {
  copyProgram: 'copy program',
  copyFile: 'copy file',
  loadLibrary: 'load library',
  intoOutfile: 'into outfile',
  intoDumpfile: 'into dumpfile',
  loadDataInfile: 'load data infile',
  loadDataLocalInfile: 'load data local infile',
  bulkInsert: 'bulk insert',
  nextValueFor: 'next value for',
  backupFile: 'backup file',
} as const;

export class StatementFacts {
  kind: StatementKind;
  readonly kinds = new Set<StatementKind>();
  readonly #tables = new Map<string, TableRef>();
  readonly #columns = new Map<string, ColumnRef>();
  readonly functions = new Set<string>();
  /** One entry per UPDATE/DELETE met: whether its WHERE clause restricts rows. */
  readonly restrictedWrites: boolean[] = [];
  hasLimit: boolean | undefined;
  /**
   * Set when something recorded here depends on the value of a constant in the text (EXPLAIN
   * (ANALYZE 0), set_config('role', …), a DO block's body): the analysis then holds for this exact
   * text only, never for every text of its shape.
   */
  readsConstants = false;
  readonly #settings = new Map<string, SettingChange>();

  constructor(kind: StatementKind) {
    this.kind = kind;
  }

  addKind(kind: StatementKind): void {
    this.kinds.add(kind);
  }

  addTable(name: string, access: Access): void {
    if (!name) return;
    this.#tables.set(`${access}\u0000${name}`, { name, access });
  }

  addColumn(name: string, access: Access, table?: string): void {
    if (!name) return;
    const key = `${access}\u0000${table ?? ''}\u0000${name}`;
    this.#columns.set(key, table ? { table, name, access } : { name, access });
  }

  addFunction(name: string): void {
    if (name) this.functions.add(name.toLowerCase());
  }

  addSetting(name: string, action: SettingChange['action']): void {
    const lowered = name.toLowerCase();
    this.#settings.set(`${action}\u0000${lowered}`, { name: lowered, action });
  }

  get settings(): SettingChange[] {
    return [...this.#settings.values()];
  }

  get tables(): TableRef[] {
    return [...this.#tables.values()];
  }

  get columns(): ColumnRef[] {
    return [...this.#columns.values()];
  }

  /** Adds everything another statement's facts hold, as when a dynamic or ambiguous part is folded in. */
  absorb(other: StatementFacts | StatementInfo): void {
    if (other instanceof StatementFacts) {
      if (other.readsConstants) this.readsConstants = true;
      this.kinds.add(other.kind);
      for (const kind of other.kinds) this.kinds.add(kind);
      this.restrictedWrites.push(...other.restrictedWrites);
    } else {
      for (const kind of other.kinds) this.kinds.add(kind);
      if (other.hasWhere !== undefined) this.restrictedWrites.push(other.hasWhere);
    }
    for (const table of other.tables) this.addTable(table.name, table.access);
    for (const column of other.columns) this.addColumn(column.name, column.access, column.table);
    for (const name of other.functions) this.addFunction(name);
    for (const setting of other.settings ?? []) this.addSetting(setting.name, setting.action);
  }

  toInfo(location?: { start: number; end: number }): StatementInfo {
    const kinds: StatementKind[] = [this.kind];
    for (const kind of this.kinds) if (kind !== this.kind && kind !== 'unknown') kinds.push(kind);
    if (this.kinds.has('unknown') && this.kind !== 'unknown') kinds.push('unknown');
    const info: {
      -readonly [K in keyof StatementInfo]: StatementInfo[K];
    } = {
      kind: this.kind,
      kinds,
      tables: this.tables,
      columns: this.columns,
      functions: [...this.functions],
    };
    if (this.restrictedWrites.length > 0) info.hasWhere = this.restrictedWrites.every(Boolean);
    if (this.hasLimit !== undefined) info.hasLimit = this.hasLimit;
    if (this.#settings.size > 0) info.settings = this.settings;
    if (location) info.location = location;
    return info;
  }
}

/** Adds 'unknown' plus another reading's facts to every statement: the string reads differently under some server setting. */
export function markAmbiguous(statements: readonly StatementInfo[], other: readonly StatementInfo[]): StatementInfo[] {
  return statements.map((statement) => {
    const facts = new StatementFacts(statement.kind);
    facts.absorb(statement);
    for (const alternative of other) facts.absorb(alternative);
    facts.addKind('unknown');
    if (statement.hasLimit !== undefined) facts.hasLimit = statement.hasLimit;
    return facts.toInfo(statement.location);
  });
}

/** A stable summary used to tell whether two readings of one string agree. */
export function summarize(statements: readonly StatementInfo[]): string {
  return JSON.stringify(
    statements.map((s) => [
      s.kinds,
      s.tables.map((t) => `${t.access}:${t.name}`).sort(),
      [...s.functions].sort(),
      s.hasWhere ?? null,
    ]),
  );
}
