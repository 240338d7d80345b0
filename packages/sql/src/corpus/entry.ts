// The shape of a corpus entry: realistic SQL and the statement kinds it must be read as.
import type { StatementKind } from '@sluice/core';

export interface CorpusEntry {
  readonly sql: string;
  /** The primary kind of each statement in `sql`, in order. */
  readonly kinds: readonly StatementKind[];
  /** Where the statement comes from: orm, report, migration, admin. */
  readonly source: 'orm' | 'report' | 'migration' | 'admin';
}

export function entry(source: CorpusEntry['source'], kinds: StatementKind | StatementKind[], sql: string): CorpusEntry {
  return { source, kinds: Array.isArray(kinds) ? kinds : [kinds], sql };
}
