// Builds record bodies from what the hooks receive: sessions, statements, results, refused connections.
import type { DisconnectInfo, QueryEvent, RefusedConnection, ResultSummary, Session, SqlAnalysis } from '@sluice/core';
import { fingerprintSql } from '../sql/fingerprint.js';
import { recordParams } from '../sql/params.js';
import { redactSql } from '../sql/redact.js';
import type { RecordBody, RecordColumn, RecordDecision, RecordStatement, RecordTable } from './types.js';

export interface RecordOptions {
  /** Replace every literal in the SQL text (and every parameter) by `?`. */
  readonly redactLiterals: boolean;
  /** SQL longer than this is cut; `sql_length` then holds the full length. */
  readonly maxSqlLength: number;
}

type SessionFields = Pick<RecordBody, 'session' | 'identity' | 'client' | 'listener' | 'dialect' | 'environment' | 'database' | 'upstream_user'>;

export function sessionFields(session: Session): SessionFields {
  const { identity, client } = session;
  return {
    session: session.id,
    identity: {
      sub: identity.subject,
      name: identity.name,
      ...(identity.email === undefined ? {} : { email: identity.email }),
      groups: [...identity.groups],
      auth: identity.auth,
    },
    client: { addr: client.address, port: client.port, ...(client.application === undefined ? {} : { application: clean(client.application) }) },
    listener: session.listener,
    dialect: session.dialect,
    ...(session.environment === undefined ? {} : { environment: session.environment }),
    ...(session.database === undefined ? {} : { database: clean(session.database) }),
    ...(session.upstreamUser === undefined ? {} : { upstream_user: session.upstreamUser }),
  };
}

export function connectBody(session: Session, decision: RecordDecision = { action: 'allow' }): RecordBody {
  return { ...sessionFields(session), event: 'connect', decision };
}

export function disconnectBody(session: Session, info: DisconnectInfo): RecordBody {
  return {
    ...sessionFields(session),
    event: 'disconnect',
    result: {
      reason: info.reason,
      statements: info.statements,
      duration_ms: roundMs(info.durationMs),
      ...(info.error === undefined ? {} : { error: { message: clean(info.error) } }),
    },
  };
}

/** A connection that never became a session: only what the client claimed. */
export function refusedBody(refused: RefusedConnection): RecordBody {
  return {
    event: 'connect',
    ...(refused.user === undefined ? {} : { identity: { claimed: clean(refused.user) } }),
    client: {
      addr: refused.client.address,
      port: refused.client.port,
      ...(refused.client.application === undefined ? {} : { application: clean(refused.client.application) }),
    },
    listener: refused.listener,
    dialect: refused.dialect,
    ...(refused.environment === undefined ? {} : { environment: refused.environment }),
    ...(refused.database === undefined ? {} : { database: clean(refused.database) }),
    decision: { action: 'deny', reason: clean(refused.reason) },
  };
}

/**
 * How a hold ended, as the guardrails plugin leaves it on `annotations.approvalOutcome` (every outcome)
 * or `annotations.approval` (only an approval that let the statement run).
 */
interface ApprovalOutcome {
  readonly id: string;
  readonly rule?: string;
  readonly outcome: string;
  readonly by?: string;
}

function approvalOutcomeOf(annotations: QueryEvent['annotations']): ApprovalOutcome | undefined {
  const outcome = annotations.approvalOutcome as Partial<ApprovalOutcome> | undefined;
  if (outcome && typeof outcome === 'object' && typeof outcome.id === 'string' && typeof outcome.outcome === 'string') {
    return {
      id: outcome.id,
      outcome: outcome.outcome,
      ...(typeof outcome.rule === 'string' ? { rule: outcome.rule } : {}),
      ...(typeof outcome.by === 'string' ? { by: outcome.by } : {}),
    };
  }
  const { approval } = annotations;
  if (approval === undefined) return undefined;
  return { id: approval.id, outcome: 'approved', by: approval.approver, ...(approval.rule === undefined ? {} : { rule: approval.rule }) };
}

/** The query record, preceded by an approval record when the statement was held for approval. */
export function queryBodies(session: Session, query: QueryEvent, summary: ResultSummary, options: RecordOptions): RecordBody[] {
  const statement = statementOf(query, options);
  const { approval, wouldDeny, masked } = query.annotations;
  const outcome = approvalOutcomeOf(query.annotations);
  const decision: RecordDecision = {
    action: summary.decision.action,
    ...(summary.decision.rule === undefined ? (approval?.rule === undefined ? {} : { rule: approval.rule }) : { rule: summary.decision.rule }),
    ...(summary.decision.reason === undefined ? {} : { reason: clean(summary.decision.reason) }),
    ...(summary.decision.plugin === undefined ? {} : { plugin: summary.decision.plugin }),
    ...(outcome?.by === undefined ? {} : { approver: outcome.by }),
    ...(outcome === undefined ? {} : { approval_id: outcome.id }),
    ...(wouldDeny === undefined || wouldDeny.length === 0 ? {} : { would_deny: wouldDeny.map(({ rule, reason }) => ({ rule, reason: clean(reason) })) }),
  };
  const bodies: RecordBody[] = [];
  const fields = sessionFields(session);
  if (outcome !== undefined) {
    bodies.push({
      ...fields,
      event: 'approval',
      statement,
      decision: {
        action: outcome.outcome === 'approved' ? 'allow' : 'deny',
        ...(outcome.rule === undefined ? {} : { rule: outcome.rule }),
        ...(outcome.by === undefined ? {} : { approver: outcome.by }),
        approval_id: outcome.id,
        outcome: outcome.outcome,
      },
    });
  }
  bodies.push({
    ...fields,
    event: 'query',
    statement,
    decision,
    result: {
      rows: summary.rows,
      ...(summary.affected === undefined ? {} : { affected: summary.affected }),
      bytes: summary.bytes,
      duration_ms: roundMs(summary.durationMs),
      ...(summary.error === undefined
        ? {}
        : {
            error: {
              ...(summary.error.code === undefined ? {} : { code: summary.error.code }),
              message: options.redactLiterals ? redactErrorValues(clean(summary.error.message)) : clean(summary.error.message),
            },
          }),
    },
    ...(maskedCounts(masked) ?? {}),
  });
  return bodies;
}

function statementOf(query: QueryEvent, options: RecordOptions): RecordStatement {
  const redacted = redactSql(query.sql, query.dialect, { literals: options.redactLiterals });
  const sql = clean(redacted.sql);
  const cut = sql.length > options.maxSqlLength;
  return {
    sql: cut ? sql.slice(0, options.maxSqlLength) : sql,
    ...(cut ? { sql_length: sql.length } : {}),
    fingerprint: fingerprintSql(query.sql, query.dialect),
    via: query.via,
    ...parseFields(query.analysis()),
    ...(query.params === undefined ? {} : { params: recordParams(query.params, redacted.secretParams, options.redactLiterals) }),
  };
}

function parseFields(analysis: SqlAnalysis | undefined): Pick<RecordStatement, 'kinds' | 'tables' | 'columns' | 'parse_error'> {
  if (analysis === undefined) return {};
  if (analysis.error !== undefined) return { kinds: ['unknown'], parse_error: clean(analysis.error).slice(0, 500) };
  const kinds = new Set<string>();
  const tables = new Map<string, RecordTable>();
  const columns = new Map<string, RecordColumn>();
  for (const statement of analysis.statements) {
    kinds.add(statement.kind);
    for (const kind of statement.kinds) kinds.add(kind);
    for (const table of statement.tables) tables.set(`${table.name}\u0000${table.access}`, { name: table.name, access: table.access });
    for (const column of statement.columns) {
      columns.set(`${column.table ?? ''}\u0000${column.name}\u0000${column.access}`, {
        ...(column.table === undefined ? {} : { table: column.table }),
        name: column.name,
        access: column.access,
      });
    }
  }
  return { kinds: [...kinds], tables: [...tables.values()], columns: [...columns.values()] };
}

function maskedCounts(masked: QueryEvent['annotations']['masked']): Pick<RecordBody, 'masked'> | undefined {
  if (masked === undefined || masked === null || typeof masked !== 'object') return undefined;
  const entries = Object.entries(masked).filter(
    ([, value]) => value !== null && typeof value === 'object' && typeof value.type === 'string' && Number.isFinite(value.count),
  );
  if (entries.length === 0) return undefined;
  return { masked: Object.fromEntries(entries.map(([column, value]) => [column, { type: value.type, count: value.count }])) };
}

/** `invalid input syntax for type integer: "abc"`, `Duplicate entry 'x'`: the values a server quotes in its messages. */
function redactErrorValues(message: string): string {
  return message.replace(/: "(?:[^"]|"")*"/g, ': "?"').replace(/'(?:[^'\\]|''|\\.)*'/g, "'?'");
}

function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** NUL cannot be stored in every sink (PostgreSQL jsonb refuses it). */
function clean(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\ufffd') : text;
}
