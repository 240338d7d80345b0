// Builds record bodies from what the hooks receive: sessions, statements, results, refused connections.
import type { ApprovalEvent, DisconnectInfo, QueryEvent, RefusedConnection, ResultSummary, Session, SqlAnalysis } from '@sluice/core';
import { auditedText } from '../sql/audited-text.js';
import { recordParams } from '../sql/params.js';
import { frozenJson } from './canonical-json.js';
import type { RecordBody, RecordColumn, RecordDecision, RecordResult, RecordStatement, RecordTable } from './types.js';

export interface RecordOptions {
  /** Replace every literal in the SQL text (and every parameter) by `?`. */
  readonly redactLiterals: boolean;
  /** SQL longer than this is cut; `sql_length` then holds the full length. */
  readonly maxSqlLength: number;
}

type SessionFields = Pick<RecordBody, 'session' | 'identity' | 'client' | 'listener' | 'dialect' | 'environment' | 'database' | 'upstream_user'>;

/** The session's part of every record it writes; built once per session, frozen, serialized once. */
export function sessionFields(session: Session): SessionFields {
  let fields = sessionFieldsCache.get(session);
  if (fields === undefined) {
    fields = buildSessionFields(session);
    sessionFieldsCache.set(session, fields);
  }
  return fields;
}

const sessionFieldsCache = new WeakMap<Session, SessionFields>();

/**
 * A new record body with the session's fields. Copied member by member: V8 takes a slow path for an
 * object literal that spreads another and then gets more members (microseconds per record).
 */
function sessionBody(session: Session, event: RecordBody['event']): Mutable<RecordBody> {
  const fields = sessionFields(session);
  const body: Mutable<RecordBody> = { session: fields.session, event, identity: fields.identity, client: fields.client, listener: fields.listener, dialect: fields.dialect };
  if (fields.environment !== undefined) body.environment = fields.environment;
  if (fields.database !== undefined) body.database = fields.database;
  if (fields.upstream_user !== undefined) body.upstream_user = fields.upstream_user;
  return body;
}

function buildSessionFields(session: Session): SessionFields {
  const { identity, client } = session;
  return {
    session: session.id,
    identity: frozenJson({
      sub: identity.subject,
      name: identity.name,
      ...(identity.email === undefined ? {} : { email: identity.email }),
      groups: [...identity.groups],
      auth: identity.auth,
    }),
    client: frozenJson({ addr: client.address, port: client.port, ...(client.application === undefined ? {} : { application: clean(client.application) }) }),
    listener: session.listener,
    dialect: session.dialect,
    ...(session.environment === undefined ? {} : { environment: session.environment }),
    ...(session.database === undefined ? {} : { database: clean(session.database) }),
    ...(session.upstreamUser === undefined ? {} : { upstream_user: session.upstreamUser }),
  };
}

export function connectBody(session: Session, decision: RecordDecision = { action: 'allow' }): RecordBody {
  const body = sessionBody(session, 'connect');
  body.decision = decision;
  return body;
}

export function disconnectBody(session: Session, info: DisconnectInfo): RecordBody {
  const body = sessionBody(session, 'disconnect');
  body.result = {
    reason: info.reason,
    statements: info.statements,
    duration_ms: roundMs(info.durationMs),
    ...(info.error === undefined ? {} : { error: { message: clean(info.error) } }),
  };
  return body;
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

/**
 * An approval record: when a statement is held (`outcome: requested`, action `hold`), and when the
 * hold is decided, with the approver and outcome the holding plugin leaves on the annotations.
 */
export function approvalBody(session: Session, query: QueryEvent, approval: ApprovalEvent, options: RecordOptions): RecordBody {
  const base = {
    ...(approval.rule === undefined ? {} : { rule: approval.rule }),
    plugin: approval.plugin,
    approval_id: approval.id,
  };
  let decision: RecordDecision;
  if (approval.stage === 'requested') {
    decision = { action: 'hold', ...base, reason: clean(approval.reason), outcome: 'requested' };
  } else {
    const outcome = approvalOutcomeOf(query.annotations);
    const known = outcome?.id === approval.id ? outcome : undefined;
    decision = {
      action: approval.action ?? 'deny',
      ...base,
      ...(approval.action === 'deny' ? { reason: clean(approval.reason) } : {}),
      ...(known?.by === undefined ? {} : { approver: known.by }),
      outcome: known?.outcome ?? (approval.action === 'allow' ? 'approved' : 'denied'),
    };
  }
  const body = sessionBody(session, 'approval');
  body.statement = statementOf(query, options);
  body.decision = decision;
  return body;
}

/** The query record, naming the approval that decided a held statement. */
export function queryBody(session: Session, query: QueryEvent, summary: ResultSummary, options: RecordOptions): RecordBody {
  const statement = statementOf(query, options);
  const { approval, wouldDeny, masked } = query.annotations;
  const outcome = approvalOutcomeOf(query.annotations);
  // Built member by member rather than with conditional spreads: this runs for every statement.
  const given = summary.decision;
  const decision: Mutable<RecordDecision> = { action: given.action };
  if (given.rule !== undefined) decision.rule = given.rule;
  else if (approval?.rule !== undefined) decision.rule = approval.rule;
  if (given.reason !== undefined) decision.reason = clean(given.reason);
  if (given.plugin !== undefined) decision.plugin = given.plugin;
  if (outcome?.by !== undefined) decision.approver = outcome.by;
  if (outcome !== undefined) decision.approval_id = outcome.id;
  if (wouldDeny !== undefined && wouldDeny.length > 0) decision.would_deny = wouldDeny.map(({ rule, reason }) => ({ rule, reason: clean(reason) }));
  const result: Mutable<RecordResult> = { rows: summary.rows };
  if (summary.affected !== undefined) result.affected = summary.affected;
  result.bytes = summary.bytes;
  result.duration_ms = roundMs(summary.durationMs);
  if (summary.error !== undefined) {
    const message = clean(summary.error.message);
    result.error = {
      ...(summary.error.code === undefined ? {} : { code: summary.error.code }),
      message: options.redactLiterals ? redactErrorValues(message) : message,
    };
  }
  const body = sessionBody(session, 'query');
  body.statement = statement;
  body.decision = decision;
  body.result = result;
  if (masked !== undefined) {
    const counts = maskedCounts(masked);
    if (counts !== undefined) body.masked = counts.masked;
  }
  return body;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function statementOf(query: QueryEvent, options: RecordOptions): RecordStatement {
  const text = auditedText(query.sql, query.dialect, options.redactLiterals);
  const sql = clean(text.sql);
  const cut = sql.length > options.maxSqlLength;
  const statement: Mutable<RecordStatement> = cut
    ? { sql: sql.slice(0, options.maxSqlLength), sql_length: sql.length, fingerprint: text.fingerprint }
    : { sql, fingerprint: text.fingerprint };
  statement.via = query.via;
  const fields = parseFields(query.analysis());
  if (fields.kinds !== undefined) statement.kinds = fields.kinds;
  if (fields.tables !== undefined) statement.tables = fields.tables;
  if (fields.columns !== undefined) statement.columns = fields.columns;
  if (fields.parse_error !== undefined) statement.parse_error = fields.parse_error;
  if (query.params !== undefined) statement.params = recordParams(query.params, text.secretParams, options.redactLiterals);
  return statement;
}

type ParseFields = Pick<RecordStatement, 'kinds' | 'tables' | 'columns' | 'parse_error'>;

/** An analysis is shared by the statements of one shape: its record fields are worked out once, and frozen. */
const parseFieldsCache = new WeakMap<SqlAnalysis, ParseFields>();

function parseFields(analysis: SqlAnalysis | undefined): ParseFields {
  if (analysis === undefined) return {};
  let fields = parseFieldsCache.get(analysis);
  if (fields === undefined) {
    fields = buildParseFields(analysis);
    for (const part of [fields.kinds, fields.tables, fields.columns]) if (part !== undefined) frozenJson(part);
    parseFieldsCache.set(analysis, fields);
  }
  return fields;
}

function buildParseFields(analysis: SqlAnalysis): ParseFields {
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
