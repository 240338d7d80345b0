// Column globs: `email`, `customers.email`, `public.customers.*`, matched case-insensitively.

export interface ColumnGlob {
  /** The pattern as written, for messages. */
  readonly source: string;
  /** Patterns for the table part (schema and table), empty when the glob names only a column. */
  readonly table: readonly RegExp[];
  readonly column: RegExp;
}

function segmentPattern(segment: string): RegExp {
  const body = segment.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

export function compileGlob(source: string): ColumnGlob {
  const segments = source.split('.');
  const column = segments.pop()!;
  return { source, table: segments.map(segmentPattern), column: segmentPattern(column) };
}

/** A table name Sluice knows: absent, or only an id (PostgreSQL's table OID), means unknown. */
export function knownTableName(table: string | undefined): string | undefined {
  return table === undefined || /^\d+$/.test(table) ? undefined : table;
}

/**
 * Whether the glob matches a column. `table` is `schema.table`, `table` or undefined when unknown.
 * With the table unknown, a glob with a table part matches on its column part when `whenTableUnknown`.
 */
export function globMatches(glob: ColumnGlob, column: string, table: string | undefined, whenTableUnknown: boolean): boolean {
  if (!glob.column.test(column)) return false;
  if (glob.table.length === 0) return true;
  if (table === undefined) return whenTableUnknown || glob.table.every((pattern) => pattern.test(''));
  const parts = table.split('.');
  if (parts.length < glob.table.length) return false;
  // `customers.email` matches `public.customers.email`: the glob's table part aligns with the end.
  const tail = parts.slice(parts.length - glob.table.length);
  return glob.table.every((pattern, i) => pattern.test(tail[i]!));
}
