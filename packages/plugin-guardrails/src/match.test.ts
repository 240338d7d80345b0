// The rule matcher: every match key, read generously by tightening rules and strictly by loosening ones.
import { describe, expect, it } from 'vitest';
import { statementFacts } from './evaluate.js';
import { compileMatch, type StatementFacts } from './match.js';
import { matchSchema } from './options.js';
import { analysis, context, identity, statement, unparsable } from './testing/fixtures.js';
import type { StatementInfo } from '@sluice/core';

const compile = (input: Record<string, unknown>) => compileMatch(matchSchema.parse(input));
const facts = (info: StatementInfo): StatementFacts => statementFacts('x', analysis(info))[0]!;
const unknownFacts = statementFacts('frobnicate', unparsable())[0]!;
const select = facts(statement('select', { tables: [{ name: 'orders', access: 'read' }] }));

describe('session keys', () => {
  it('listener, environment and dialect are case-insensitive globs', () => {
    expect(compile({ listener: 'pg-*' }).test(context(), select, 'any')).toBe(true);
    expect(compile({ listener: 'mysql-*' }).test(context(), select, 'any')).toBe(false);
    expect(compile({ environment: 'PROD' }).test(context(), select, 'any')).toBe(true);
    expect(compile({ environment: ['staging', 'prod'] }).test(context(), select, 'all')).toBe(true);
    expect(compile({ environment: 'prod' }).test(context({ environment: 'test' }), select, 'any')).toBe(false);
    expect(compile({ dialect: 'postgres' }).test(context(), select, 'any')).toBe(true);
    expect(compile({ dialect: 'mysql' }).test(context(), select, 'any')).toBe(false);
  });

  it('an environment pattern needs a tag, except * which also matches a listener without one', () => {
    const untagged = context({ environment: undefined });
    expect(compile({ environment: 'prod' }).test(untagged, select, 'any')).toBe(false);
    expect(compile({ environment: '*' }).test(untagged, select, 'any')).toBe(true);
  });

  it('user matches the subject or the name, exactly and case-sensitively', () => {
    const oidc = context({ identity: identity('Alice Doe', [], { subject: 'a1b2c3', auth: 'oidc' }) });
    expect(compile({ user: 'a1b2c3' }).test(oidc, select, 'any')).toBe(true);
    expect(compile({ user: 'Alice Doe' }).test(oidc, select, 'any')).toBe(true);
    expect(compile({ user: 'alice doe' }).test(oidc, select, 'any')).toBe(false);
    expect(compile({ user: ['svc-*'] }).test(context({ identity: identity('svc-billing') }), select, 'any')).toBe(true);
  });

  it('groups match when the identity is in any of them', () => {
    expect(compile({ groups: ['dba', 'dev'] }).test(context(), select, 'any')).toBe(true);
    expect(compile({ groups: 'dba' }).test(context(), select, 'all')).toBe(false);
    expect(compile({ groups: 'DEV' }).test(context(), select, 'any')).toBe(false);
  });

  it('time windows: days, hours, time zone, and windows across midnight', () => {
    // 2025-03-12 is a Wednesday; 10:00 UTC is 11:00 in Paris.
    const at = (iso: string) => context({ now: new Date(iso) });
    const office = compile({ time: { days: 'mon-fri', from: '09:00', to: '18:00', timezone: 'Europe/Paris' } });
    expect(office.test(at('2025-03-12T10:00:00Z'), select, 'any')).toBe(true);
    expect(office.test(at('2025-03-12T17:30:00Z'), select, 'any')).toBe(false); // 18:30 in Paris
    expect(office.test(at('2025-03-15T10:00:00Z'), select, 'any')).toBe(false); // Saturday
    const night = compile({ time: { days: ['fri'], from: '22:00', to: '06:00' } });
    expect(night.test(at('2025-03-14T23:00:00Z'), select, 'any')).toBe(true); // Friday night
    expect(night.test(at('2025-03-15T05:00:00Z'), select, 'any')).toBe(true); // early Saturday: Friday's window
    expect(night.test(at('2025-03-16T05:00:00Z'), select, 'any')).toBe(false); // early Sunday: Saturday's
    const either = compile({ time: [{ days: 'sat' }, { days: 'sun' }] });
    expect(either.test(at('2025-03-16T12:00:00Z'), select, 'any')).toBe(true);
    expect(either.test(at('2025-03-12T12:00:00Z'), select, 'any')).toBe(false);
    expect(office.timeDependent).toBe(true);
  });
});

describe('statement kinds', () => {
  const cteDelete = facts(statement('select', { kinds: ['select', 'delete'] }));

  it('a tightening rule matches when any kind inside the statement is listed', () => {
    expect(compile({ statement: ['delete'] }).test(context(), cteDelete, 'any')).toBe(true);
    expect(compile({ statement: 'drop' }).test(context(), cteDelete, 'any')).toBe(false);
  });

  it('a loosening rule matches only when every kind inside is listed', () => {
    expect(compile({ statement: ['select'] }).test(context(), cteDelete, 'all')).toBe(false);
    expect(compile({ statement: ['select', 'delete'] }).test(context(), cteDelete, 'all')).toBe(true);
  });

  it('groups stand for several kinds', () => {
    expect(compile({ statement: ['ddl'] }).test(context(), facts(statement('truncate')), 'any')).toBe(true);
    expect(compile({ statement: ['dml'] }).test(context(), cteDelete, 'any')).toBe(true);
    expect(compile({ statement: ['dcl'] }).test(context(), facts(statement('grant')), 'any')).toBe(true);
  });

  it('SQL that could not be parsed is of kind unknown and matches only statement: [unknown]', () => {
    expect(compile({ statement: ['unknown'] }).test(context(), unknownFacts, 'any')).toBe(true);
    expect(compile({ statement: ['unknown'] }).test(context(), unknownFacts, 'all')).toBe(true);
    expect(compile({ statement: ['select', 'drop'] }).test(context(), unknownFacts, 'any')).toBe(false);
    expect(compile({ statement: ['select', 'drop'] }).test(context(), unknownFacts, 'all')).toBe(false);
  });
});

describe('tables', () => {
  const payroll = facts(statement('update', { tables: [{ name: 'hr.payroll', access: 'write' }, { name: 'public.staff', access: 'read' }] }));
  const bare = facts(statement('select', { tables: [{ name: 'payroll', access: 'read' }] }));

  it('matches qualified names from the right, with globs, case-insensitively', () => {
    expect(compile({ tables: 'payroll' }).test(context(), payroll, 'any')).toBe(true);
    expect(compile({ tables: 'hr.payroll' }).test(context(), payroll, 'any')).toBe(true);
    expect(compile({ tables: 'HR.*' }).test(context(), payroll, 'any')).toBe(true);
    expect(compile({ tables: 'finance.*' }).test(context(), payroll, 'any')).toBe(false);
    expect(compile({ tables: 'pay*' }).test(context(), payroll, 'any')).toBe(true);
  });

  it('a tightening rule matches when any table does; a loosening one when all do', () => {
    expect(compile({ tables: 'hr.*' }).test(context(), payroll, 'all')).toBe(false);
    expect(compile({ tables: ['hr.*', 'public.*'] }).test(context(), payroll, 'all')).toBe(true);
  });

  it('an unqualified table may be in any schema: tightening rules assume so, loosening ones do not', () => {
    expect(compile({ tables: 'hr.payroll' }).test(context(), bare, 'any')).toBe(true);
    expect(compile({ tables: 'hr.payroll' }).test(context(), bare, 'all')).toBe(false);
  });

  it('quoted names compare without their quotes', () => {
    const quoted = facts(statement('select', { tables: [{ name: '"HR"."Pay.roll"', access: 'read' }] }));
    expect(compile({ tables: 'hr."pay.roll"' }).test(context(), quoted, 'any')).toBe(true);
  });

  it('a statement the parser did not understand satisfies no loosening table condition', () => {
    expect(compile({ tables: '*' }).test(context(), unknownFacts, 'all')).toBe(false);
    expect(compile({ tables: '*' }).test(context(), unknownFacts, 'any')).toBe(false);
  });
});

describe('columns', () => {
  const read = facts(
    statement('select', {
      columns: [
        { table: 'public.users', name: 'ssn', access: 'read' },
        { name: 'email', access: 'read' },
      ],
    }),
  );

  it('matches a column by name or table.column, with globs', () => {
    expect(compile({ columns: 'ssn' }).test(context(), read, 'any')).toBe(true);
    expect(compile({ columns: 'users.ssn' }).test(context(), read, 'any')).toBe(true);
    expect(compile({ columns: '*.ssn' }).test(context(), read, 'any')).toBe(true);
    expect(compile({ columns: 'orders.ssn' }).test(context(), read, 'any')).toBe(false);
    expect(compile({ columns: 'password*' }).test(context(), read, 'any')).toBe(false);
  });

  it('a column whose table is unknown counts for a tightening rule only', () => {
    expect(compile({ columns: 'users.email' }).test(context(), read, 'any')).toBe(true);
    expect(compile({ columns: ['users.ssn', 'users.email'] }).test(context(), read, 'all')).toBe(false);
    expect(compile({ columns: ['users.ssn', 'email'] }).test(context(), read, 'all')).toBe(true);
  });

  it('SELECT * reads every column of its table', () => {
    const star = facts(statement('select', { columns: [{ table: 'users', name: '*', access: 'read' }] }));
    expect(compile({ columns: 'users.ssn' }).test(context(), star, 'any')).toBe(true);
    expect(compile({ columns: 'users.ssn' }).test(context(), star, 'all')).toBe(false);
    expect(compile({ columns: 'orders.ssn' }).test(context(), star, 'any')).toBe(false);
  });
});

describe('where', () => {
  const unbounded = facts(statement('delete', { hasWhere: false }));
  const bounded = facts(statement('delete', { hasWhere: true }));
  const untold = facts(statement('select', { kinds: ['select', 'update'] }));
  const read = facts(statement('select'));

  it('absent matches an UPDATE or DELETE without WHERE', () => {
    const absent = compile({ where: 'absent' });
    expect(absent.test(context(), unbounded, 'any')).toBe(true);
    expect(absent.test(context(), bounded, 'any')).toBe(false);
    expect(absent.test(context(), read, 'any')).toBe(false);
  });

  it('when the parser does not say, a tightening rule assumes no WHERE and a loosening one does not', () => {
    expect(compile({ where: 'absent' }).test(context(), untold, 'any')).toBe(true);
    expect(compile({ where: 'absent' }).test(context(), untold, 'all')).toBe(false);
    expect(compile({ where: 'present' }).test(context(), untold, 'all')).toBe(false);
    expect(compile({ where: 'present' }).test(context(), untold, 'any')).toBe(true);
  });

  it('present holds for a bounded write and for statements with nothing to bound', () => {
    expect(compile({ where: 'present' }).test(context(), bounded, 'all')).toBe(true);
    expect(compile({ where: 'present' }).test(context(), read, 'all')).toBe(true);
    expect(compile({ where: 'present' }).test(context(), unbounded, 'all')).toBe(false);
  });
});

describe('functions', () => {
  const reads = facts(statement('select', { functions: ['pg_catalog.pg_read_file', 'lower'] }));

  it('matches by name, schema-qualified name or glob', () => {
    expect(compile({ functions: 'pg_read_file' }).test(context(), reads, 'any')).toBe(true);
    expect(compile({ functions: 'pg_catalog.pg_read_*' }).test(context(), reads, 'any')).toBe(true);
    expect(compile({ functions: 'public.pg_read_file' }).test(context(), reads, 'any')).toBe(false);
    expect(compile({ functions: 'lo_*' }).test(context(), reads, 'any')).toBe(false);
  });

  it('a loosening rule needs every function called to be listed', () => {
    expect(compile({ functions: ['lower', 'upper'] }).test(context(), reads, 'all')).toBe(false);
    expect(compile({ functions: ['lower', 'pg_read_file'] }).test(context(), reads, 'all')).toBe(true);
  });
});

describe('a match block', () => {
  it('needs every key to hold; an empty block matches everything', () => {
    const drop = facts(statement('drop', { tables: [{ name: 'orders', access: 'write' }] }));
    expect(compile({ environment: 'prod', statement: 'drop', tables: 'orders' }).test(context(), drop, 'any')).toBe(true);
    expect(compile({ environment: 'test', statement: 'drop', tables: 'orders' }).test(context(), drop, 'any')).toBe(false);
    expect(compile({}).test(context(), drop, 'any')).toBe(true);
    expect(compile({}).test(context(), unknownFacts, 'all')).toBe(true);
  });

  it('knows whether it reads only the session', () => {
    expect(compile({ user: 'bob', time: { days: 'sun' } }).contextOnly).toBe(true);
    expect(compile({ user: 'bob', tables: 'x' }).contextOnly).toBe(false);
  });
});
