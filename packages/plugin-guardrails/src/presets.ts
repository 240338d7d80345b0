// Built-in presets: named sets of rules a user switches on with `presets: [name]`.
import type { KindName } from './kinds.js';

/** A preset's rule in the same shape as a rule of the config (read by the same schema). */
export interface PresetRuleInput {
  readonly name: string;
  readonly match: Readonly<Record<string, unknown>>;
  readonly unless?: Readonly<Record<string, unknown>>;
  readonly action: 'deny' | 'require_approval' | 'log';
  readonly reason?: string;
}

export interface PresetDefinition {
  readonly description: string;
  /** Environments the preset applies to unless the config says otherwise; everywhere when absent. */
  readonly environment?: readonly string[];
  readonly rules: readonly PresetRuleInput[];
}

/** Functions that read or write server files, run programs, reach other servers or stop sessions. */
export const DANGEROUS_FUNCTIONS = [
  // PostgreSQL: server files, large objects to and from files, other servers, the server process.
  'pg_read_file', 'pg_read_binary_file', 'pg_ls_dir', 'pg_ls_*dir', 'pg_stat_file', 'pg_file_*', 'pg_logdir_ls',
  'lo_import', 'lo_export', 'dblink', 'dblink_*', 'pg_terminate_backend', 'pg_cancel_backend', 'pg_reload_conf',
  'pg_rotate_logfile', 'pg_promote', 'pg_execute_server_program',
  // MySQL / MariaDB: server files and user-defined command execution.
  'load_file', 'sys_exec', 'sys_eval',
  // SQL Server: the shell, the registry, the file system, OLE automation, ad-hoc remote sources.
  'xp_cmdshell', 'xp_reg*', 'xp_dirtree', 'xp_subdirs', 'xp_fileexist', 'xp_availablemedia', 'sp_oacreate', 'sp_oamethod',
  'sp_configure', 'sp_addextendedproc', 'sp_execute_external_script', 'openrowset', 'opendatasource', 'openquery',
  // Statements that reach server files or programs without a function call: @sluice/sql reports them under these names.
  'copy program', 'copy file', 'load library', 'into outfile', 'into dumpfile', 'load data infile', 'bulk insert',
  'backup file',
] as const;

/** Functions that change state even inside a SELECT. */
export const SIDE_EFFECT_FUNCTIONS = [
  ...DANGEROUS_FUNCTIONS,
  'nextval', 'setval', 'lo_create', 'lo_creat', 'lo_unlink', 'lo_put', 'lo_from_bytea', 'lo_truncate', 'lo_write',
  'pg_advisory_lock*', 'pg_advisory_xact_lock*', 'pg_try_advisory*', 'pg_notify', 'pg_switch_wal', 'pg_create_*',
  'pg_drop_*', 'get_lock', 'release_lock', 'release_all_locks', 'next value for',
] as const;

/** Kinds that only read (or only set session state): everything the `read-only` preset lets through. */
export const READ_KINDS: readonly KindName[] = ['select', 'show', 'explain', 'set', 'transaction'];

export type PresetName = 'protect-prod' | 'read-only';

export const PRESETS: Readonly<Record<PresetName, PresetDefinition>> = {
  'protect-prod': {
    description: 'no DROP/TRUNCATE, no DELETE/UPDATE without WHERE, DDL needs approval, file/program/server-control functions denied',
    environment: ['prod'],
    rules: [
      { name: 'protect-prod/no-drop', match: { statement: ['drop', 'truncate'] }, action: 'deny' },
      { name: 'protect-prod/no-unbounded-write', match: { statement: ['delete', 'update'], where: 'absent' }, action: 'deny' },
      { name: 'protect-prod/dangerous-functions', match: { functions: [...DANGEROUS_FUNCTIONS] }, action: 'deny' },
      { name: 'protect-prod/ddl-needs-approval', match: { statement: ['create', 'alter', 'grant', 'revoke', 'block'] }, action: 'require_approval' },
    ],
  },
  'read-only': {
    description: 'only reads: SELECT, SHOW, EXPLAIN (without ANALYZE of a write), SET and transaction control',
    rules: [
      { name: 'read-only/reads-only', match: {}, unless: { statement: [...READ_KINDS] }, action: 'deny' },
      { name: 'read-only/no-side-effect-functions', match: { functions: [...SIDE_EFFECT_FUNCTIONS] }, action: 'deny' },
    ],
  },
};
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];
