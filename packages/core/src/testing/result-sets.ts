// Runs a synthetic result set through onResultSet and onRow the way a driver does, and returns what the client would see.
import type { SessionRuntime } from '../lifecycle/session-runtime.js';
import type { ColumnInfo, QueryEvent } from '../plugin.js';
import type { ClientError, DialectProfile } from './dialects.js';

/** A column by name (type: the dialect's text type) or in full. */
export type ColumnInput = string | { readonly name: string; readonly table?: string; readonly type?: string };

/** A value as the server sends it in text form; numbers and bigints are written as their decimal text. */
export type CellInput = string | number | bigint | null;

export interface ResultSetInput {
  readonly columns: readonly ColumnInput[];
  readonly rows?: Iterable<readonly CellInput[]>;
}

export interface ResultSetOutcome {
  /** The rows the client receives, every column, after the plugins' patches. */
  readonly rows: (string | null)[][];
  /** Set when a plugin failed (onResultSet or onRow): the rows from the failing one on are withheld and the statement ends with this error. */
  readonly error?: ClientError;
  /** Column positions decoded for the plugins (`undefined`: no plugin asked for this result's rows). */
  readonly decoded: readonly number[] | 'all' | undefined;
  /** Rows the server sent, including withheld ones. */
  readonly serverRows: number;
}

export function columnsOf(inputs: readonly ColumnInput[], profile: DialectProfile): ColumnInfo[] {
  return inputs.map((input) => {
    if (typeof input === 'string') return { name: input, type: profile.defaultColumnType };
    return { name: input.name, type: input.type ?? profile.defaultColumnType, ...(input.table === undefined ? {} : { table: input.table }) };
  });
}

export function cellText(value: CellInput, row: number, column: number): string | null {
  if (value === null || typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  throw new TypeError(`row ${row}, column ${column}: values are the server's text (string, number, bigint or null), not ${typeof value}`);
}

/** One result set of a statement: the filter the pipeline builds, applied row by row. */
export function runResultSet(runtime: SessionRuntime, query: QueryEvent, index: number, input: ResultSetInput, profile: DialectProfile): ResultSetOutcome {
  const columns = columnsOf(input.columns, profile);
  // The same object goes to onResultSet and every onRow of this result, as in the drivers.
  const info = { index, columns };
  const filter = runtime.wantsRows ? runtime.resultSet(query, info) : undefined;
  const wanted = filter === undefined ? undefined : filter.columns === 'all' ? 'all' : new Set(filter.columns);
  const rows: (string | null)[][] = [];
  let error: ClientError | undefined;
  let serverRows = 0;
  for (const serverRow of input.rows ?? []) {
    const rowNumber = serverRows++;
    if (serverRow.length !== columns.length) {
      throw new TypeError(`row ${rowNumber} has ${serverRow.length} values for ${columns.length} columns`);
    }
    const text = serverRow.map((value, column) => cellText(value, rowNumber, column));
    if (error) continue;
    if (!filter) {
      rows.push(text);
      continue;
    }
    const values = text.map((value, column) => (wanted === 'all' || wanted!.has(column) ? value : undefined));
    let patch;
    try {
      patch = filter.apply({ values });
    } catch (failure) {
      // As the drivers do: the error names the plugin and the hook (the pipeline wrapped it).
      runtime.log.error({ error: (failure as Error).message }, 'row hook failed: the rest of the result is withheld');
      error = profile.rowFailure(`sluice: ${(failure as Error).message}`);
      continue;
    }
    if (patch) {
      for (let i = 0; i < patch.length; i++) {
        const value = patch[i];
        if (value !== undefined) text[i] = value;
      }
    }
    rows.push(text);
  }
  return { rows, ...(error ? { error } : {}), decoded: filter?.columns, serverRows };
}
