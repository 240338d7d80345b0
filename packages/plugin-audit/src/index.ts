// @sluice/plugin-audit: the per-statement audit trail (hash-chained, several sinks) and the `sluice audit` commands.
import { definePlugin } from '@sluice/core';
import { optionsSchema, type AuditOptions } from './options.js';
import { buildAuditPlugin } from './plugin.js';
import { loadSqlParsers } from './sql-parsers.js';

const createAuditPlugin = definePlugin<AuditOptions>(async (options, context) => (await buildAuditPlugin(options, context, { parsers: loadSqlParsers })).plugin);
createAuditPlugin.optionsSchema = optionsSchema;

export default createAuditPlugin;
export { createAuditPlugin };
export { runCli } from './cli/run.js';
export { canonicalJson } from './record/canonical-json.js';
export { GENESIS, recordHash } from './record/chain.js';
export type { AuditRecord, AuditEvent, RecordBody } from './record/types.js';
export { verifyTrail, type VerifyReport } from './verify/verify-trail.js';
export type { AuditOptions } from './options.js';
