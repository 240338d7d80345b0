// The audit plugin: turns connections, statements, decisions and approvals into records, and fails closed when a `block` sink cannot write.
import type { PluginContext, SluicePlugin, SqlParser } from '@sluice/core';
import { deny } from '@sluice/core';
import { loadCheckpointPolicy } from './checkpoint/policy.js';
import { fileWritableProblem } from './api/file-writable.js';
import { auditApiRoutes } from './api/routes.js';
import { registerSinkMetrics, SinkLag } from './api/sink-metrics.js';
import type { AuditOptions } from './options.js';
import { approvalBody, connectBody, disconnectBody, queryBody, refusedBody, type RecordOptions } from './record/build.js';
import { Chain } from './record/chain.js';
import { openSinks } from './sinks/open-sinks.js';
import type { Sink } from './sinks/sink.js';
import { SharedResources } from './trail/shared.js';
import { ChainState, Trail } from './trail/trail.js';

export const PLUGIN_NAME = 'audit';
/** The rule named in a deny the audit plugin gives. */
export const AUDIT_RULE = 'audit';

/** One chain per trail file (or one in memory without a file sink), shared across reloads. */
const chains = new SharedResources<ChainState>(async () => undefined);

export interface AuditDependencies {
  /** Parsers to offer core; the published factory passes @sluice/sql's. */
  readonly parsers: () => Promise<readonly SqlParser[]>;
}

interface AuditSessionState {
  /** A connect record exists for this session. */
  connectRecorded?: boolean;
}

/** The plugin and its trail (tests and embedders read the trail; core only sees the plugin). */
export async function buildAuditPlugin(
  options: AuditOptions,
  context: PluginContext,
  dependencies: AuditDependencies,
): Promise<{ readonly plugin: SluicePlugin; readonly trail: Trail }> {
  try {
    for (const parser of await dependencies.parsers()) context.registerSqlParser(parser);
  } catch (error) {
    throw new Error(`${PLUGIN_NAME}: cannot load the SQL parsers of @sluice/sql: ${(error as Error).message}`);
  }
  const checkpoints = await loadCheckpointPolicy(options.checkpoints, context.configDir).catch((error: unknown) => {
    throw new Error(`${PLUGIN_NAME}: ${(error as Error).message}`);
  });
  const opened = await openSinks(options.sinks, context.configDir, context.log).catch((error: unknown) => {
    throw new Error(`${PLUGIN_NAME}: ${(error as Error).message}`);
  });
  const primary = opened.files[0];
  const state = await chains.acquire(primary ?? 'memory', '', async () => new ChainState(new Chain(primary === undefined ? undefined : opened.heads.get(primary))));
  const trail = new Trail(state, opened.sinks, checkpoints, context.log);
  context.registerAdminRoute({
    method: 'GET',
    path: '/api/audit/sinks',
    handle: () => ({ status: 200, body: { head: state.value.chain.head, sinks: trail.status() } }),
  });
  for (const route of auditApiRoutes({
    file: primary,
    groups: options.api.groups,
    maxExportRecords: options.api.max_export_records,
    ...(checkpoints ? { signingKey: checkpoints.privateKey } : {}),
  })) {
    context.registerAdminRoute(route);
  }
  context.registerReadinessCheck?.({
    name: PLUGIN_NAME,
    check: async () => {
      const failing = trail.status().filter((sink) => !sink.ok).map((sink) => `${sink.kind} sink failing`);
      // A file sink only opens its file at the first record: probe that it could.
      for (const problem of await Promise.all(opened.files.map(fileWritableProblem))) if (problem !== undefined) failing.push(`file sink cannot write (${problem})`);
      return failing.length === 0 ? { ok: true } : { ok: false, detail: [...new Set(failing)].join('; ') };
    },
  });
  const lag = context.metrics ? new SinkLag(() => trail.status()) : undefined;
  if (context.metrics && lag) registerSinkMetrics(context.metrics, () => trail.status(), lag);
  const recordOptions: RecordOptions = { redactLiterals: options.redact_literals, maxSqlLength: options.max_sql_length };

  const refusal = (): string | undefined => {
    const failing = trail.blockingFailure();
    return failing === undefined ? undefined : `the audit trail cannot be written (${describeFailure(failing.sink, failing.error)}); statements are refused until it recovers`;
  };

  const plugin: SluicePlugin = {
    name: PLUGIN_NAME,

    onConnect(session) {
      const own = session.state as AuditSessionState;
      own.connectRecorded = true;
      const reason = refusal();
      if (reason === undefined) {
        trail.append(connectBody(session));
        return undefined;
      }
      trail.append(connectBody(session, { action: 'deny', rule: AUDIT_RULE, reason, plugin: PLUGIN_NAME }));
      return deny(reason, AUDIT_RULE);
    },

    onQuery() {
      const reason = refusal();
      return reason === undefined ? undefined : deny(reason, AUDIT_RULE);
    },

    onResult(session, query, summary) {
      trail.append(queryBody(session, query, summary, recordOptions));
    },

    onApproval(session, query, approval) {
      trail.append(approvalBody(session, query, approval, recordOptions));
    },

    onDisconnect(session, info) {
      const own = session.state as AuditSessionState;
      if (!own.connectRecorded) {
        // A plugin before this one refused the connection: its onConnect never ran here.
        trail.append(connectBody(session, { action: 'deny', reason: info.error ?? 'refused by another plugin' }));
      }
      trail.append(disconnectBody(session, info));
    },

    onRefused(refused) {
      trail.append(refusedBody(refused));
    },

    close() {
      lag?.close();
      return trail.close();
    },
  };
  return { plugin, trail };
}

/** What a client may be told about a failing sink: its kind and the error, without paths or addresses. */
export function describeFailure(sink: Sink, error: string): string {
  const bare = error
    .replace(/;? its lock is \S+?\)/, ')')
    .replace(/\s*'[^']*'/g, '')
    .replace(/\s+\[?[0-9a-f:.]*[.:][0-9a-f:.]*\]?:\d+/gi, '')
    .replace(/,\s*(write|open|fsync|fdatasync|rename|mkdir)$/, '');
  return `${sink.kind} sink: ${bare}`;
}
