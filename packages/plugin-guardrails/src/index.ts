// @sluice/plugin-guardrails: allow, deny or hold every statement for approval, from its parse and the identity behind it.
import { definePlugin } from '@sluice/core';
import { loadSqlParsers } from '@sluice/sql';
import { GuardrailsError } from './errors.js';
import { createGuardrails } from './guardrails.js';
import { optionsSchema, type GuardrailsOptions } from './options.js';

const factory = definePlugin<GuardrailsOptions>(async (options, context) => {
  let parsers: Awaited<ReturnType<typeof loadSqlParsers>>;
  try {
    parsers = await loadSqlParsers();
  } catch (error) {
    throw new GuardrailsError(`cannot load the SQL parsers: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  for (const parser of parsers) context.registerSqlParser(parser);
  return createGuardrails(options, { log: context.log, registerAdminRoute: (route) => context.registerAdminRoute(route) });
});
factory.optionsSchema = optionsSchema;

export default factory;
export { createGuardrails, type ApprovalOutcomeAnnotation, type GuardrailsDependencies } from './guardrails.js';
export { optionsSchema, DEFAULTS, type GuardrailsOptions, type GuardrailsInput, type RuleAction, type UnknownAction } from './options.js';
export { PRESETS, PRESET_NAMES, type PresetName } from './presets.js';
export { APPROVALS, approvalsOf } from './approvals/registry.js';
export type { ApprovalEvent, ApprovalEventType, ApprovalsApi, DecideFailure, DecideResult, PendingApproval, Verdict } from './approvals/types.js';
export { GuardrailsError, PLUGIN_NAME } from './errors.js';
export { runCli } from './cli.js';
export { approvalRoutes } from './approvals/admin-routes.js';
