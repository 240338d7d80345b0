// RPC requests of the TDS test server: sp_executesql, sp_prepare/sp_execute/sp_prepexec/sp_unprepare and
// procedures called by name, run on PostgreSQL through the session's statement runner.
import type pg from 'pg';
import { serverErrorFor, type PgError } from './errors.js';
import { PgStatement } from './pg-statement.js';
import { DoneStatus, Token } from './protocol.js';
import type { RecordedRequest, RequestContext, StatementResult } from './request-context.js';
import type { RpcCall, RpcParameter } from './rpc-request.js';
import { declaredParameterNames, replaceParameters, statementsOf } from './sql-translation.js';
import { done, errorOrInfo, returnStatus, returnValue, type ServerMessage } from './tokens.js';
import { INT_TYPE, tdsTypeFor, type CustomOids } from './type-mapping.js';

/** What the RPC handlers need from their session. */
export interface ProcedureHost {
  readonly pg: pg.Client;
  readonly customOids: CustomOids;
  readonly closed: boolean;
  record(request: RecordedRequest): void;
  runStatement(
    text: string,
    values: readonly (string | Buffer | null)[],
    context: RequestContext,
    doneToken: Token.Done | Token.DoneInProc,
    more: boolean,
  ): Promise<StatementResult>;
}

export class RpcHandlers {
  private readonly prepared = new Map<number, { sql: string; names: string[] }>();
  private nextHandle = 1;

  constructor(private readonly host: ProcedureHost) {}

  /** RESETCONNECTION: prepared handles do not survive it. */
  forgetPrepared(): void {
    this.prepared.clear();
  }

  /** Runs the calls of one RPC request in order, stopping at the first failure or cancel. */
  async run(calls: RpcCall[], context: RequestContext): Promise<void> {
    for (const call of calls) {
      this.host.record({ kind: 'rpc', procedure: call.procedure, parameters: call.parameters });
      const ok = await this.rpcCall(call, context);
      if (!ok || context.cancelled) return;
    }
  }

  private async rpcCall(call: RpcCall, context: RequestContext): Promise<boolean> {
    const { writer } = context;
    const params = call.parameters;
    const fail = (message: ServerMessage): boolean => {
      writer.write(errorOrInfo(Token.Error, { ...message, procedure: call.procedure }));
      writer.write(done(Token.DoneProc, DoneStatus.Error));
      return false;
    };
    const finish = (returnValues: Buffer[] = []): boolean => {
      writer.write(returnStatus(0));
      for (const value of returnValues) writer.write(value);
      writer.write(done(Token.DoneProc, DoneStatus.Final));
      return true;
    };
    switch (call.procedure.toLowerCase()) {
      case 'sp_executesql': {
        const sql = textOf(params[0]);
        if (sql === undefined) return fail({ number: 214, state: 2, severity: 16, message: "Procedure expects parameter '@statement' of type 'ntext/nchar/nvarchar'." });
        const values = params.slice(2);
        if (values.some((p) => p.output)) return fail({ number: 50000, state: 1, severity: 16, message: 'The TDS test server does not return output parameters from sp_executesql.' });
        const names = params[1] ? declaredParameterNames(textOf(params[1]) ?? '') : [];
        return (await this.runInProcedure(sql, names, values, context)) ? finish() : false;
      }
      case 'sp_prepare':
      case 'sp_prepexec': {
        const handle = this.nextHandle++;
        const sql = textOf(params[2]);
        if (sql === undefined) return fail({ number: 214, state: 2, severity: 16, message: "Procedure expects parameter '@stmt' of type 'ntext/nchar/nvarchar'." });
        const names = declaredParameterNames(textOf(params[1]) ?? '');
        this.prepared.set(handle, { sql, names });
        const handleValue = returnValue(0, params[0]?.name || '@handle', INT_TYPE, INT_TYPE.encode(String(handle)));
        if (call.procedure.toLowerCase() === 'sp_prepare') return finish([handleValue]);
        return (await this.runInProcedure(sql, names, params.slice(3), context)) ? finish([handleValue]) : false;
      }
      case 'sp_execute': {
        const handle = Number(params[0]?.value);
        const statement = this.prepared.get(handle);
        if (!statement) return fail({ number: 8179, state: 4, severity: 16, message: `Could not find prepared statement with handle ${params[0]?.value ?? 'NULL'}.` });
        return (await this.runInProcedure(statement.sql, statement.names, params.slice(1), context, true)) ? finish() : false;
      }
      case 'sp_unprepare': {
        const handle = Number(params[0]?.value);
        if (!this.prepared.delete(handle)) return fail({ number: 8179, state: 4, severity: 16, message: `Could not find prepared statement with handle ${params[0]?.value ?? 'NULL'}.` });
        return finish();
      }
      default:
        return this.namedProcedure(call, context, finish, fail);
    }
  }

  /**
   * Runs the statements of a parameterised batch: each statement gets only the parameters it names,
   * renumbered $1.. and cast to the PostgreSQL type of the TDS parameter.
   */
  private async runInProcedure(sql: string, names: string[], values: readonly RpcParameter[], context: RequestContext, positional = false): Promise<boolean> {
    const byName = new Map<string, RpcParameter>();
    values.forEach((value, index) => {
      const declared = names[index];
      const name = !positional && value.name ? value.name : declared;
      if (name) byName.set(name.toLowerCase(), value);
    });
    const statements = statementsOf(sql);
    for (const statement of statements) {
      const used: RpcParameter[] = [];
      const numbers = new Map<string, number>();
      const text = replaceParameters(statement, (name) => {
        const key = name.toLowerCase();
        const parameter = byName.get(key);
        if (!parameter) return undefined;
        if (!numbers.has(key)) {
          used.push(parameter);
          numbers.set(key, used.length);
        }
        return `$${numbers.get(key)}::${parameter.pgType}`;
      });
      const result = await this.host.runStatement(text, used.map((p) => p.value), context, Token.DoneInProc, true);
      if (!result.ok) {
        if (!context.cancelled && !this.host.closed) context.writer.write(done(Token.DoneProc, DoneStatus.Error));
        return false;
      }
      if (context.cancelled) return false;
    }
    return true;
  }

  /** Any other procedure name: a PostgreSQL procedure (CALL; INOUT values come back as RETURNVALUE) or a set-returning function. */
  private async namedProcedure(call: RpcCall, context: RequestContext, finish: (values?: Buffer[]) => boolean, fail: (message: ServerMessage) => boolean): Promise<boolean> {
    const client = this.host.pg;
    const name = call.procedure.replace(/^\[?dbo\]?\./i, '').replace(/[[\]]/g, '');
    const found = await client.query<{ prokind: string; qualified: string }>(
      `select p.prokind, quote_ident(n.nspname) || '.' || quote_ident(p.proname) as qualified from pg_proc p join pg_namespace n on n.oid = p.pronamespace where p.oid = to_regproc($1)`,
      [name],
    );
    const procedure = found.rows[0];
    if (!procedure) return fail({ number: 2812, state: 62, severity: 16, message: `Could not find stored procedure '${call.procedure}'.` });
    const args = call.parameters.map((p, i) => (p.name ? `${quoteIdent(p.name.slice(1))} => $${i + 1}::${p.pgType}` : `$${i + 1}::${p.pgType}`)).join(', ');
    const values = call.parameters.map((p) => p.value);
    if (procedure.prokind !== 'p') {
      const result = await this.host.runStatement(`select * from ${procedure.qualified}(${args})`, values, context, Token.DoneInProc, true);
      if (!result.ok) {
        if (!context.cancelled && !this.host.closed) context.writer.write(done(Token.DoneProc, DoneStatus.Error));
        return false;
      }
      return context.cancelled ? false : finish();
    }
    // A procedure: its INOUT/OUT values are the one row CALL returns; they answer the output parameters by name.
    const statement = new PgStatement(client, `call ${procedure.qualified}(${args})`, values);
    try {
      const batch = await statement.next(2);
      await statement.next(1);
      const returned: Buffer[] = [];
      call.parameters.forEach((parameter, ordinal) => {
        if (!parameter.output) return;
        const index = batch.fields.findIndex((field) => field.name.toLowerCase() === parameter.name.slice(1).toLowerCase());
        if (index < 0) return;
        const field = batch.fields[index]!;
        const type = tdsTypeFor(field.dataTypeID, field.dataTypeModifier, this.host.customOids);
        const value = batch.rows[0]?.[index] ?? null;
        returned.push(returnValue(ordinal, parameter.name, type, value === null ? type.nullValue : type.encode(value)));
      });
      return finish(returned);
    } catch (error) {
      await statement.close();
      return fail(serverErrorFor(error as PgError));
    }
  }
}

function textOf(parameter: RpcParameter | undefined): string | undefined {
  return typeof parameter?.value === 'string' ? parameter.value : undefined;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
