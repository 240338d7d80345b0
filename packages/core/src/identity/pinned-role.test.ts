import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../config/index.js';
import type { Session } from '../plugin.js';
import { SqlParsers, type SqlAnalysis } from '../sql-analysis.js';
import { pinnedRoleGuard } from './pinned-role.js';

const config = (dialect: string, setRole: boolean) =>
  parseConfigText(
    `
listeners:
  - name: l
    dialect: ${dialect}
    listen: 127.0.0.1:0
    upstream: { host: db, port: 5432, user: gw, set_role: ${setRole}, by_group: [ { group: dba, user: app_dba } ] }
`,
    { file: '/cfg/sluice.yaml' },
  );

function parsersAnswering(analysis: SqlAnalysis): SqlParsers {
  const parsers = new SqlParsers();
  parsers.register({ dialect: 'postgres', parse: () => analysis });
  return parsers;
}

const session = { listener: 'l' } as Session;
const query = (analysis: SqlAnalysis) => ({ sql: 'x', dialect: 'postgres', via: 'simple' as const, annotations: {}, analysis: () => analysis });
const statement = (extra: object) => ({ kind: 'set' as const, kinds: ['set' as const], tables: [], columns: [], functions: [], ...extra });

describe('pinnedRoleGuard', () => {
  it('is absent when no listener uses set_role', async () => {
    expect(await pinnedRoleGuard(config('postgres', false), new SqlParsers())).toBeUndefined();
  });

  it('refuses set_role on a listener of another dialect, with the line of the setting', async () => {
    const failure = await pinnedRoleGuard(config('mysql', true), new SqlParsers()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    expect(String((failure as Error).message)).toMatch(/sluice\.yaml:6:\d+: listeners\[0\]\.upstream\.set_role: set_role is for PostgreSQL listeners/);
  });

  it('denies role changes and dynamic SQL, allows RESET ROLE and other settings', async () => {
    const decide = async (analysis: SqlAnalysis) => {
      const guard = (await pinnedRoleGuard(config('postgres', true), parsersAnswering(analysis)))!;
      return guard.onQuery!(session, query(analysis));
    };
    const denied = { action: 'deny', rule: 'upstream.set_role' };
    expect(await decide({ statements: [statement({ settings: [{ name: 'role', action: 'set' }] })] })).toMatchObject(denied);
    expect(await decide({ statements: [statement({ settings: [{ name: 'session_authorization', action: 'reset' }] })] })).toMatchObject(denied);
    expect(await decide({ statements: [statement({ settings: [{ name: '*', action: 'set' }] })] })).toMatchObject(denied);
    expect(await decide({ statements: [statement({ kinds: ['block', 'unknown'] })] })).toMatchObject(denied);
    expect(await decide({ statements: [], error: 'syntax error' })).toMatchObject(denied);
    expect(await decide({ statements: [statement({ settings: [{ name: 'role', action: 'reset' }] })] })).toBeUndefined();
    expect(await decide({ statements: [statement({ settings: [{ name: 'search_path', action: 'set' }] })] })).toBeUndefined();
  });
});
