// The real SQL parsers of @sluice/sql, when it is installed: the ones the guardrails and audit plugins register.
import { importModule } from '../plugins/resolve.js';
import type { SqlParser } from '../sql-analysis.js';

/** How the harness gives `query.analysis()` a parser. */
export type SqlParserSetting =
  /** Register @sluice/sql's parsers when the package can be found (default); none otherwise. */
  | 'auto'
  /** Register them, and fail when @sluice/sql is not installed. */
  | 'required'
  /** Only the parsers the plugins under test register themselves, exactly as a config without guardrails or audit. */
  | 'plugins'
  /** Parsers of the test's own. */
  | readonly SqlParser[];

interface SqlPackage {
  loadSqlParsers(): Promise<SqlParser[]>;
}

export async function parsersFor(setting: SqlParserSetting, configDir: string): Promise<readonly SqlParser[]> {
  if (Array.isArray(setting)) return setting as readonly SqlParser[];
  if (setting === 'plugins') return [];
  let module: Partial<SqlPackage>;
  try {
    module = (await importModule('@sluice/sql', configDir)) as Partial<SqlPackage>;
  } catch (error) {
    if (setting === 'auto') return [];
    throw new Error('sqlParsers: "required" needs the package @sluice/sql, which cannot be loaded (is it installed?)', { cause: error });
  }
  if (typeof module.loadSqlParsers !== 'function') throw new Error('@sluice/sql does not export loadSqlParsers()');
  return module.loadSqlParsers();
}
