// Statement kinds a rule can name, and the shorthands that stand for several of them.
import type { StatementKind } from '@sluice/core';

export const STATEMENT_KINDS = [
  'select', 'insert', 'update', 'delete', 'merge', 'drop', 'truncate', 'alter', 'create', 'grant', 'revoke',
  'copy', 'call', 'block', 'set', 'show', 'transaction', 'explain', 'prepare', 'execute', 'other', 'unknown',
] as const satisfies readonly StatementKind[];

// Fails to compile when core adds a kind this list does not know.
type MissingKinds = Exclude<StatementKind, (typeof STATEMENT_KINDS)[number]>;
const everyKindListed: MissingKinds extends never ? true : MissingKinds = true;
void everyKindListed;

/** Names a rule may use for a group of kinds. */
export const KIND_GROUPS = {
  ddl: ['create', 'alter', 'drop', 'truncate'],
  dml: ['insert', 'update', 'delete', 'merge'],
  dcl: ['grant', 'revoke'],
} as const satisfies Record<string, readonly StatementKind[]>;

export type KindName = StatementKind | keyof typeof KIND_GROUPS;

export const KIND_NAMES: readonly KindName[] = [...STATEMENT_KINDS, ...(Object.keys(KIND_GROUPS) as (keyof typeof KIND_GROUPS)[])];

/** The kinds a list of names stands for, groups expanded. */
export function expandKinds(names: readonly KindName[]): Set<StatementKind> {
  const kinds = new Set<StatementKind>();
  for (const name of names) {
    if (name in KIND_GROUPS) for (const kind of KIND_GROUPS[name as keyof typeof KIND_GROUPS]) kinds.add(kind);
    else kinds.add(name as StatementKind);
  }
  return kinds;
}

/** Kinds that change rows, for the `where` match: the ones whose WHERE bounds what they touch. */
export const BOUNDED_BY_WHERE: ReadonlySet<StatementKind> = new Set(['update', 'delete']);
