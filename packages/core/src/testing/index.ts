// @sluice/core/testing: test a plugin's hooks without a database, through the real pipeline and SQL parsers.
export { createPluginHarness, type ConnectInput, type HarnessOptions, type PluginHarness, type RefusedInput } from './harness.js';
export { TestSession, type QueryInput, type RunOutcome } from './test-session.js';
export { TestStatement, type HeldStatement, type ServerMessageInput, type StatementEnd } from './test-statement.js';
export type { CellInput, ColumnInput, ResultSetInput, ResultSetOutcome } from './result-sets.js';
export { PluginOptionsError, validatePluginOptions, type OptionIssue, type OptionsResult, type PluginEntry, type PluginSource } from './plugin-specs.js';
export type { AdminCall } from './admin-calls.js';
export type { IdentityInput } from './identities.js';
export type { ClientError, HarnessDialect } from './dialects.js';
export type { LogLine, RecordedLog } from './recorded-log.js';
export type { SqlParserSetting } from './sql-parsers.js';
