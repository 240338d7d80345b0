// `sluice audit search FILE... [filters]`: every matching record across the files, as a table or JSON lines.
import { parseArgs } from 'node:util';
import type { AuditRecord } from '../record/types.js';
import { FILTER_OPTIONS, filtersFrom, matches, UsageError } from './filters.js';
import type { CliOutput } from './output.js';
import { readRecords } from './read-records.js';
import { tableHeader, tableRow } from './table.js';

export const FILTER_USAGE = `  --user NAME        identity name, subject, email, or the user a refused client claimed
  --group GROUP      identity group
  --environment ENV  the listener's environment tag (dev, staging, prod…)
  --table TABLE      a table the statement read or wrote (customers matches public.customers)
  --column COLUMN    a column read, written or masked (email or customers.email)
  --decision D       allow or deny
  --kind KIND        a statement kind: select, insert, update, delete, drop…
  --event E          connect, query, disconnect, approval or checkpoint (checkpoints only when asked)
  --session ID       one session
  --since T --until T  ISO time (2025-11-23T05:00:00Z) or age (30m, 2h, 7d)
  --text TEXT        text in the SQL, the reason or the error
  --json             the records as JSON lines, as written
`;

export const SEARCH_USAGE = `sluice audit search FILE... [filters] [--json]
${FILTER_USAGE}`;

export async function searchCommand(args: string[], output: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...FILTER_OPTIONS, json: { type: 'boolean' } } });
  if (positionals.length === 0) throw new UsageError('search needs at least one FILE');
  const filters = filtersFrom(values);
  const found: { record: AuditRecord; line: string }[] = [];
  for (const file of positionals) {
    try {
      for await (const entry of readRecords(file)) if (matches(entry.record, filters)) found.push(entry);
    } catch (error) {
      throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  found.sort((a, b) => a.record.seq - b.record.seq);
  if (values.json) {
    for (const entry of found) output.out(`${entry.line}\n`);
  } else {
    output.out(`${tableHeader(output.columns)}\n`);
    for (const entry of found) output.out(`${tableRow(entry.record, output.columns)}\n`);
  }
  return 0;
}
