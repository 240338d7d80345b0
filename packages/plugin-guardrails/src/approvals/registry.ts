// Finds the approval engine of a loaded guardrails plugin, for core's admin API and for tests.
import type { SluicePlugin } from '@sluice/core';
import type { ApprovalsApi } from './types.js';

/**
 * The engine rides on the plugin object under a global symbol: symbol keys are not hooks, so
 * core's plugin check accepts them, and `Symbol.for` gives every copy of this module (and core,
 * which need not import this package) the same key.
 */
export const APPROVALS: unique symbol = Symbol.for('sluice.approvals');

export function attachApprovals<T extends SluicePlugin>(plugin: T, api: ApprovalsApi): T {
  Object.defineProperty(plugin, APPROVALS, { value: api, enumerable: false });
  return plugin;
}

/** The approval engine of a plugin, or undefined when the plugin holds no statements. */
export function approvalsOf(plugin: SluicePlugin): ApprovalsApi | undefined {
  return (plugin as SluicePlugin & { [APPROVALS]?: ApprovalsApi })[APPROVALS];
}
