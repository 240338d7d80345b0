// The data access map: which identities touched which tables and columns (read or write, masked or clear), by environment.
import type { AuditRecord } from '../record/types.js';

export interface AccessEntry {
  readonly environment: string | null;
  readonly identity: string;
  readonly groups: readonly string[];
  readonly table: string | null;
  /** null: the table as a whole. */
  readonly column: string | null;
  read: number;
  write: number;
  /** Reading statements whose result had this column's values (or, for a table entry, some of its values) masked. */
  masked: number;
  /** Reading statements that returned its values in clear. */
  clear: number;
  statements: number;
  last: string;
}

export interface AccessMap {
  readonly environments: string[];
  readonly entries: AccessEntry[];
}

/** Builds the map from records given oldest first; only statements that ran (query records, decision allow, not a bare prepare) count. */
export class AccessMapBuilder {
  readonly #entries = new Map<string, AccessEntry>();
  readonly #environments = new Set<string>();

  add(record: AuditRecord): void {
    const entries = this.#entries;
    // A prepare (Parse) touches no data; its executions do.
    if (record.event !== 'query' || record.decision?.action !== 'allow' || !record.statement || record.statement.via === 'prepare') return;
    const environment = record.environment ?? null;
    if (environment !== null) this.#environments.add(environment);
    const identity = record.identity?.name ?? record.identity?.sub ?? 'unknown';
    const groups = record.identity?.groups ?? [];
    const touches = touchesOf(record);
    for (const touch of touches) {
      const key = JSON.stringify([environment, identity, touch.table, touch.column]);
      let entry = entries.get(key);
      if (!entry) {
        entry = { environment, identity, groups, table: touch.table, column: touch.column, read: 0, write: 0, masked: 0, clear: 0, statements: 0, last: record.ts };
        entries.set(key, entry);
      }
      entry.statements++;
      entry.last = record.ts;
      if (touch.read) {
        entry.read++;
        if (touch.masked) entry.masked++;
        else entry.clear++;
      }
      if (touch.write) entry.write++;
    }
  }

  build(): AccessMap {
    const sorted = [...this.#entries.values()].sort((a, b) => compareKeys([a.environment, a.identity, a.table, a.column], [b.environment, b.identity, b.table, b.column]));
    return { environments: [...this.#environments].sort(), entries: sorted };
  }
}

interface Touch {
  readonly table: string | null;
  readonly column: string | null;
  read: boolean;
  write: boolean;
  masked: boolean;
}

/** One statement's tables and columns, each once, with what the statement did to it. */
function touchesOf(record: AuditRecord): Touch[] {
  const statement = record.statement!;
  const tables = statement.tables ?? [];
  const onlyTable = new Set(tables.map((table) => table.name)).size === 1 ? tables[0]!.name : undefined;
  const touches = new Map<string, Touch>();
  const touch = (table: string | null, column: string | null): Touch => {
    const key = JSON.stringify([table, column]);
    let found = touches.get(key);
    if (!found) {
      found = { table, column, read: false, write: false, masked: false };
      touches.set(key, found);
    }
    return found;
  };
  for (const table of tables) {
    const entry = touch(table.name, null);
    if (table.access === 'read') entry.read = true;
    else entry.write = true;
  }
  for (const column of statement.columns ?? []) {
    const entry = touch(column.table ?? onlyTable ?? null, column.name);
    if (column.access === 'read') entry.read = true;
    else entry.write = true;
  }
  for (const key of Object.keys(record.masked ?? {})) {
    const dot = key.lastIndexOf('.');
    const name = dot < 0 ? key : key.slice(dot + 1);
    const hint = dot < 0 ? undefined : key.slice(0, dot);
    const table = tables.find((candidate) => hint !== undefined && sameTable(candidate.name, hint))?.name ?? onlyTable ?? hint ?? null;
    const entry = touch(table, name);
    entry.read = true;
    entry.masked = true;
    const whole = touches.get(JSON.stringify([table, null]));
    if (whole) whole.masked = true;
  }
  return [...touches.values()];
}

/** `customers` and `public.customers` name the same table; quotes do not matter. */
function sameTable(a: string, b: string): boolean {
  const plain = (text: string) => text.replace(/["`[\]]/g, '').toLowerCase();
  const [x, y] = [plain(a), plain(b)];
  return x === y || x.split('.').pop() === y.split('.').pop();
}

function compareKeys(a: readonly (string | null)[], b: readonly (string | null)[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
