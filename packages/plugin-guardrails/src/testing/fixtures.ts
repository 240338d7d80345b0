// Hand-made parses, identities, sessions and statements for the unit tests.
import type { Identity, PluginLogger, QueryEvent, Session, SqlAnalysis, StatementInfo, StatementKind } from '@sluice/core';
import type { MatchContext } from '../match.js';
import { optionsSchema, type GuardrailsInput, type GuardrailsOptions } from '../options.js';

/** One statement as a parser would report it; `kinds` defaults to `[kind]`. */
export function statement(kind: StatementKind, extra: Partial<Omit<StatementInfo, 'kind'>> = {}): StatementInfo {
  return { kind, kinds: [kind], tables: [], columns: [], functions: [], ...extra, ...(extra.kinds ? { kinds: extra.kinds } : {}) };
}

export function analysis(...statements: StatementInfo[]): SqlAnalysis {
  return { statements };
}

export const unparsable = (error = 'syntax error at or near "frobnicate"'): SqlAnalysis => ({ statements: [], error });

export function identity(name: string, groups: string[] = [], extra: Partial<Identity> = {}): Identity {
  return { subject: name, name, groups, auth: 'password', ...extra };
}

export function context(extra: Partial<MatchContext> = {}): MatchContext {
  return { listener: 'pg-prod', environment: 'prod', dialect: 'postgres', identity: identity('alice', ['dev']), now: new Date('2025-03-12T10:00:00Z'), ...extra };
}

let sessions = 0;

export function session(extra: Partial<Session> = {}): Session {
  sessions += 1;
  return {
    id: `s-test${sessions}`,
    identity: identity('alice', ['dev']),
    client: { address: '127.0.0.1', port: 50000 + sessions },
    listener: 'pg-prod',
    dialect: 'postgres',
    environment: 'prod',
    database: 'postgres',
    startedAt: new Date(),
    state: {},
    ...extra,
  };
}

export function query(sql: string, parse: SqlAnalysis | undefined, extra: { via?: QueryEvent['via']; params?: QueryEvent['params'] } = {}): QueryEvent {
  return { sql, dialect: 'postgres', via: extra.via ?? 'simple', ...(extra.params ? { params: extra.params } : {}), annotations: {}, analysis: () => parse };
}

/** Options as the config would give them, defaults filled in by the real schema. */
export function options(input: GuardrailsInput): GuardrailsOptions {
  return optionsSchema.parse(input);
}

export interface RecordingLog extends PluginLogger {
  readonly lines: { level: string; obj: object; msg?: string }[];
  text(): string;
}

export function recordingLog(): RecordingLog {
  const lines: { level: string; obj: object; msg?: string }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, ...(msg === undefined ? {} : { msg }) });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), text: () => JSON.stringify(lines) };
}
