// Judging statement strings: most restrictive wins, every statement counts, unknown SQL, log rules, unless, default deny.
import { describe, expect, it } from 'vitest';
import { evaluate, type Judgement } from './evaluate.js';
import { compilePolicy } from './policy.js';
import type { GuardrailsInput } from './options.js';
import { analysis, context, identity, options, statement, unparsable } from './testing/fixtures.js';
import type { SqlAnalysis } from '@sluice/core';

const DESIGN_RULES: GuardrailsInput['rules'] = [
  { name: 'no-drop-in-prod', match: { environment: 'prod', statement: ['drop', 'truncate'] }, action: 'deny' },
  { name: 'review-ddl', match: { environment: 'prod', statement: ['alter', 'create'] }, action: 'require_approval' },
  { name: 'no-unbounded-delete', match: { statement: ['delete', 'update'], where: 'absent' }, action: 'deny' },
];

function judge(input: GuardrailsInput, parse: SqlAnalysis | undefined, extra: Parameters<typeof context>[0] = {}, sql = 'sql'): Judgement {
  return evaluate(compilePolicy(options(input)), context(extra), sql, parse);
}

const summary = (j: Judgement) =>
  j.action === 'deny' ? `deny ${j.rule}: ${j.reason}` : j.action === 'hold' ? `hold ${j.rules.map((r) => r.name).join(',')}: ${j.reason}` : 'allow';

describe('the DESIGN.md example rules', () => {
  const rules = { rules: DESIGN_RULES };

  it('deny DROP and TRUNCATE in prod, naming the rule', () => {
    expect(summary(judge(rules, analysis(statement('drop'))))).toBe('deny no-drop-in-prod: DROP is not allowed');
    expect(summary(judge(rules, analysis(statement('truncate', { tables: [{ name: 'orders', access: 'write' }] }))))).toBe(
      'deny no-drop-in-prod: TRUNCATE is not allowed',
    );
    expect(judge(rules, analysis(statement('drop')), { environment: 'dev' }).action).toBe('allow');
  });

  it('hold ALTER and CREATE in prod for approval', () => {
    expect(summary(judge(rules, analysis(statement('alter'))))).toBe('hold review-ddl: ALTER needs approval');
    expect(judge(rules, analysis(statement('create')), { environment: 'staging' }).action).toBe('allow');
  });

  it('deny DELETE and UPDATE without WHERE everywhere', () => {
    expect(summary(judge(rules, analysis(statement('delete', { hasWhere: false }))))).toBe('deny no-unbounded-delete: DELETE without WHERE is not allowed');
    expect(judge(rules, analysis(statement('update', { hasWhere: false })), { environment: 'dev' }).action).toBe('deny');
    expect(judge(rules, analysis(statement('delete', { hasWhere: true }))).action).toBe('allow');
  });
});

describe('most restrictive wins', () => {
  it('a deny beats an approval and an allow, whatever their order', () => {
    const input: GuardrailsInput = {
      default: 'deny',
      rules: [
        { name: 'dba-may-alter', match: { groups: 'dba' }, action: 'allow' },
        { name: 'alter-needs-review', match: { statement: 'alter' }, action: 'require_approval', approvers: 'dba' },
        { name: 'no-alter-on-payroll', match: { statement: 'alter', tables: 'payroll' }, action: 'deny' },
      ],
    };
    const dba = { identity: identity('dana', ['dba']) };
    expect(judge(input, analysis(statement('alter', { tables: [{ name: 'payroll', access: 'write' }] })), dba).action).toBe('deny');
    expect(summary(judge(input, analysis(statement('alter', { tables: [{ name: 'orders', access: 'write' }] })), dba))).toBe(
      'hold alter-needs-review: ALTER needs approval',
    );
    expect(judge(input, analysis(statement('select')), dba).action).toBe('allow');
  });

  it('one denied statement denies the whole string; the reason says which one', () => {
    const parse = analysis(statement('select'), statement('drop'), statement('select'));
    expect(summary(judge({ rules: DESIGN_RULES }, parse))).toBe('deny no-drop-in-prod: statement 2 of 3: DROP is not allowed');
  });

  it('a string with a held statement and a denied one is denied', () => {
    const parse = analysis(statement('alter'), statement('delete', { hasWhere: false }));
    expect(judge({ rules: DESIGN_RULES }, parse).action).toBe('deny');
  });

  it('every statement needing approval is held by one approval naming each rule', () => {
    const input: GuardrailsInput = {
      rules: [
        { name: 'review-ddl', match: { statement: 'alter' }, action: 'require_approval', approvers: 'dba' },
        { name: 'review-grants', match: { statement: 'grant' }, action: 'require_approval', approvers: 'security' },
      ],
    };
    const held = judge(input, analysis(statement('grant'), statement('alter')));
    expect(summary(held)).toBe('hold review-ddl,review-grants: statement 1 of 2: GRANT needs approval; statement 2 of 2: ALTER needs approval');
  });

  it('an allow rule changes nothing while the default is allow, and the config is warned about it', () => {
    const policy = compilePolicy(options({ rules: [{ name: 'dba-may-drop', match: { groups: 'dba' }, action: 'allow' }, DESIGN_RULES[0]!] }));
    expect(evaluate(policy, context({ identity: identity('dana', ['dba']) }), 'drop table x', analysis(statement('drop'))).action).toBe('deny');
    expect(policy.warnings.join('\n')).toContain('rule dba-may-drop allows, which changes nothing while default is allow');
  });
});

describe('unless', () => {
  const input: GuardrailsInput = {
    rules: [{ name: 'no-ddl', match: { statement: 'ddl' }, unless: { groups: 'dba', statement: ['create', 'alter'] }, action: 'deny' }],
  };

  it('exempts the statements and people it names', () => {
    expect(judge(input, analysis(statement('create')), { identity: identity('dana', ['dba']) }).action).toBe('allow');
    expect(judge(input, analysis(statement('create'))).action).toBe('deny');
    expect(judge(input, analysis(statement('drop')), { identity: identity('dana', ['dba']) }).action).toBe('deny');
  });

  it('reads the statement strictly: an exemption for CREATE does not cover a CREATE hiding a DROP', () => {
    const sneaky = analysis(statement('create', { kinds: ['create', 'drop'] }));
    expect(judge(input, sneaky, { identity: identity('dana', ['dba']) }).action).toBe('deny');
  });
});

describe('default: deny', () => {
  const input: GuardrailsInput = {
    default: 'deny',
    rules: [{ name: 'reads', match: { statement: ['select', 'show'], tables: ['public.*', 'reports.*'] }, action: 'allow' }],
  };

  it('allows only what an allow rule covers, every part of it', () => {
    expect(judge(input, analysis(statement('select', { tables: [{ name: 'reports.daily', access: 'read' }] }))).action).toBe('allow');
    expect(summary(judge(input, analysis(statement('select', { tables: [{ name: 'hr.payroll', access: 'read' }] }))))).toBe(
      'deny default-deny: no rule allows SELECT and the default is deny',
    );
    expect(judge(input, analysis(statement('select', { kinds: ['select', 'delete'], tables: [{ name: 'public.t', access: 'write' }] }))).action).toBe('deny');
  });

  it('needs every statement of the string to be allowed', () => {
    const parse = analysis(statement('select', { tables: [{ name: 'public.t', access: 'read' }] }), statement('insert'));
    expect(summary(judge(input, parse))).toBe('deny default-deny: statement 2 of 2: no rule allows INSERT and the default is deny');
  });
});

describe('unknown SQL', () => {
  it('is denied in prod and flagged elsewhere by default', () => {
    const denied = judge({}, unparsable('syntax error at or near "frobnicate"'));
    expect(summary(denied)).toBe('deny unknown-sql: SQL that could not be analyzed (syntax error at or near "frobnicate") is not allowed');
    const flagged = judge({}, unparsable(), { environment: 'dev' });
    expect(flagged.action).toBe('allow');
    expect(flagged.wouldDeny.map((f) => f.rule.name)).toEqual(['unknown-sql']);
  });

  it('takes one action everywhere, or one per environment with * for the rest', () => {
    expect(judge({ unknown: 'require_approval' }, unparsable()).action).toBe('hold');
    expect(judge({ unknown: 'allow' }, unparsable()).action).toBe('allow');
    expect(judge({ unknown: 'allow' }, unparsable()).wouldDeny).toEqual([]);
    const perEnvironment: GuardrailsInput = { unknown: { prod: 'require_approval', staging: 'deny', '*': 'allow' } };
    expect(judge(perEnvironment, unparsable()).action).toBe('hold');
    expect(judge(perEnvironment, unparsable(), { environment: 'staging' }).action).toBe('deny');
    expect(judge(perEnvironment, unparsable(), { environment: undefined }).action).toBe('allow');
    expect(judge({ unknown: { staging: 'deny' } }, unparsable(), { environment: 'prod' }).wouldDeny).toHaveLength(1);
  });

  it('covers a missing parser, a parse with no statement, and statements with unknown parts', () => {
    expect(judge({}, undefined).action).toBe('deny');
    expect(judge({}, { statements: [] }, {}, 'frobnicate').action).toBe('deny');
    expect(judge({}, { statements: [] }, {}, ' ; ').action).toBe('allow');
    const dynamic = analysis(statement('block', { kinds: ['block', 'unknown'] }));
    expect(summary(judge({}, dynamic))).toContain('deny unknown-sql');
  });

  it('is not matched by rules about tables or kinds it cannot be checked against', () => {
    const input: GuardrailsInput = { unknown: 'log', rules: [{ name: 'no-payroll', match: { tables: 'payroll' }, action: 'deny' }] };
    expect(judge(input, unparsable()).action).toBe('allow');
    const byUser: GuardrailsInput = { unknown: 'log', rules: [{ name: 'no-bob', match: { user: 'bob' }, action: 'deny' }] };
    expect(judge(byUser, unparsable(), { identity: identity('bob') }).action).toBe('deny');
  });

  it('is denied under default: deny unless a rule allows kind unknown', () => {
    expect(judge({ default: 'deny', unknown: 'log' }, unparsable()).action).toBe('deny');
    expect(judge({ default: 'deny', unknown: 'allow' }, unparsable()).action).toBe('allow');
  });
});

describe('log rules', () => {
  it('never change the outcome and report what they would have denied', () => {
    const input: GuardrailsInput = {
      rules: [
        { name: 'dry-run-no-payroll', match: { tables: 'payroll' }, action: 'log' },
        { name: 'dry-run-reason', match: { statement: 'update' }, action: 'log', reason: 'updates will need a ticket' },
      ],
    };
    const judged = judge(input, analysis(statement('update', { hasWhere: true, tables: [{ name: 'hr.payroll', access: 'write' }] })));
    expect(judged.action).toBe('allow');
    expect(judged.wouldDeny.map((f) => [f.rule.name, f.reason])).toEqual([
      ['dry-run-no-payroll', 'UPDATE on hr.payroll would be denied'],
      ['dry-run-reason', 'updates will need a ticket'],
    ]);
  });

  it('are reported even when another rule denies', () => {
    const input: GuardrailsInput = { rules: [{ name: 'watch-drops', match: { statement: 'drop' }, action: 'log' }, DESIGN_RULES[0]!] };
    const judged = judge(input, analysis(statement('drop')));
    expect(judged.action).toBe('deny');
    expect(judged.wouldDeny.map((f) => f.rule.name)).toEqual(['watch-drops']);
  });
});

describe('reasons', () => {
  it('use the config wording when given, and name tables and functions otherwise', () => {
    const input: GuardrailsInput = {
      rules: [
        { name: 'no-file-reads', match: { functions: 'pg_read_file' }, action: 'deny' },
        { name: 'no-payroll', match: { tables: 'payroll' }, action: 'deny', reason: 'payroll is off limits' },
      ],
    };
    expect(summary(judge(input, analysis(statement('select', { functions: ['pg_read_file'] }))))).toBe('deny no-file-reads: SELECT calling pg_read_file() is not allowed');
    expect(summary(judge(input, analysis(statement('select', { tables: [{ name: 'payroll', access: 'read' }] }))))).toBe('deny no-payroll: payroll is off limits');
  });
});
