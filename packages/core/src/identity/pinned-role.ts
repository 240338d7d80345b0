// Keeps sessions of `upstream.set_role` listeners in the role their identity maps to.
//
// Such a session logs in as the listener's gateway user, which is a member of every mapped role,
// with its role set at startup. A client that could SET ROLE (or SET ROLE NONE, back to the
// gateway user) would pick its own privileges, so statements that change the role are refused
// before they reach the server. RESET ROLE stays allowed: it returns to the startup role.
import type { ConfigIssue, LoadedConfig } from '../config/index.js';
import { ConfigError, formatPath } from '../config/index.js';
import { describe } from '../errors.js';
import { deny, type Decision, type SluicePlugin } from '../plugin.js';
import { importModule } from '../plugins/resolve.js';
import type { SqlAnalysis, SqlParser, SqlParsers } from '../sql-analysis.js';

export const PINNED_ROLE_PLUGIN = 'sluice:set-role';
const RULE = 'upstream.set_role';

/** Settings that choose who the session acts as. */
const IDENTITY_SETTINGS = new Set(['role', 'session_authorization', '*']);

/**
 * The built-in check for set_role listeners, or undefined when no listener uses set_role. Makes
 * sure a SQL parser is registered for their dialect (loading @sluice/sql when no plugin did).
 */
export async function pinnedRoleGuard(loaded: LoadedConfig, parsers: SqlParsers): Promise<SluicePlugin | undefined> {
  const pinned = loaded.config.listeners.map((listener, index) => ({ listener, index })).filter(({ listener }) => listener.upstream.set_role);
  if (pinned.length === 0) return undefined;
  const issues: ConfigIssue[] = [];
  for (const { listener, index } of pinned) {
    const path = ['listeners', index, 'upstream', 'set_role'];
    if (listener.dialect !== 'postgres') {
      issues.push(issueAt(loaded, path, `set_role is for PostgreSQL listeners; use upstream.by_group for ${listener.dialect}`));
      continue;
    }
    if (parsers.has(listener.dialect)) continue;
    try {
      parsers.register(await loadParser(listener.dialect, loaded.dir));
    } catch (error) {
      issues.push(issueAt(loaded, path, `set_role needs the package @sluice/sql to keep sessions in their role: ${describe(error)}`));
    }
  }
  if (issues.length > 0) throw new ConfigError(loaded.file, issues);
  const listeners = new Set(pinned.map(({ listener }) => listener.name));
  return {
    name: PINNED_ROLE_PLUGIN,
    onQuery(session, query) {
      if (!listeners.has(session.listener)) return undefined;
      return judge(query.analysis());
    },
  };
}

function judge(analysis: SqlAnalysis | undefined): Decision | undefined {
  if (!analysis) return deny('the statement cannot be checked for role changes', RULE);
  if (analysis.error !== undefined) return deny('unparseable SQL is not allowed: it cannot be checked for role changes', RULE);
  for (const statement of analysis.statements) {
    for (const setting of statement.settings ?? []) {
      if (setting.action === 'reset' && setting.name === 'role') continue;
      if (IDENTITY_SETTINGS.has(setting.name)) {
        const what = setting.name === '*' ? 'set_config with a computed name' : `changing ${setting.name}`;
        return deny(`${what} is not allowed: this listener pins each session to its mapped role`, RULE);
      }
    }
    if (statement.kinds.includes('unknown')) {
      return deny('dynamic or unparseable SQL is not allowed: it could change the role this listener pins', RULE);
    }
  }
  return undefined;
}

async function loadParser(dialect: string, configDir: string): Promise<SqlParser> {
  const sql = (await importModule('@sluice/sql', configDir)) as { createSqlParser?: (dialect: string) => Promise<SqlParser> };
  if (typeof sql.createSqlParser !== 'function') throw new Error('@sluice/sql does not export createSqlParser');
  return sql.createSqlParser(dialect);
}

function issueAt(loaded: LoadedConfig, path: readonly PropertyKey[], message: string): ConfigIssue {
  return { path: formatPath(path), message, ...(loaded.locate(path) ?? {}) };
}
