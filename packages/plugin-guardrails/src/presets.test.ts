// The built-in presets, on hand-made parses: what protect-prod and read-only do, where, and how they are tuned.
import { describe, expect, it } from 'vitest';
import { evaluate, type Judgement } from './evaluate.js';
import type { GuardrailsInput } from './options.js';
import { compilePolicy } from './policy.js';
import { DANGEROUS_FUNCTIONS, SIDE_EFFECT_FUNCTIONS } from './presets.js';
import { analysis, context, identity, options, statement } from './testing/fixtures.js';
import type { SqlAnalysis } from '@sluice/core';

function judge(input: GuardrailsInput, parse: SqlAnalysis, extra: Parameters<typeof context>[0] = {}): Judgement {
  return evaluate(compilePolicy(options(input)), context(extra), 'sql', parse);
}
const outcome = (j: Judgement) => (j.action === 'deny' ? `deny ${j.rule}` : j.action === 'hold' ? `hold ${j.rules.map((r) => r.name).join(',')}` : 'allow');

describe('protect-prod', () => {
  const input: GuardrailsInput = { presets: ['protect-prod'] };

  it('denies DROP and TRUNCATE', () => {
    expect(outcome(judge(input, analysis(statement('drop'))))).toBe('deny protect-prod/no-drop');
    expect(outcome(judge(input, analysis(statement('truncate'))))).toBe('deny protect-prod/no-drop');
  });

  it('denies DELETE and UPDATE without WHERE, wherever they hide', () => {
    expect(outcome(judge(input, analysis(statement('delete', { hasWhere: false }))))).toBe('deny protect-prod/no-unbounded-write');
    expect(outcome(judge(input, analysis(statement('select', { kinds: ['select', 'update'], hasWhere: false }))))).toBe('deny protect-prod/no-unbounded-write');
    expect(outcome(judge(input, analysis(statement('explain', { kinds: ['explain', 'delete'] }))))).toBe('deny protect-prod/no-unbounded-write');
    expect(outcome(judge(input, analysis(statement('update', { hasWhere: true }))))).toBe('allow');
  });

  it('holds DDL and privilege changes for approval', () => {
    for (const kind of ['create', 'alter', 'grant', 'revoke'] as const) {
      expect(outcome(judge(input, analysis(statement(kind))))).toBe('hold protect-prod/ddl-needs-approval');
    }
  });

  it('denies functions and statements that reach files, programs or other servers', () => {
    for (const name of ['pg_read_file', 'pg_catalog.pg_ls_dir', 'lo_import', 'dblink_exec', 'copy program', 'copy file', 'xp_cmdshell', 'load_file', 'into outfile']) {
      expect(outcome(judge(input, analysis(statement('select', { functions: [name] })))), name).toBe('deny protect-prod/dangerous-functions');
    }
    expect(outcome(judge(input, analysis(statement('select', { functions: ['lower', 'now', 'count', 'set_config'] }))))).toBe('allow');
  });

  it('denies SQL it cannot analyze in prod (the unknown default), and lets ordinary work through', () => {
    expect(outcome(judge(input, { statements: [], error: 'syntax error' }))).toBe('deny unknown-sql');
    for (const kind of ['select', 'insert', 'set', 'show', 'transaction', 'copy', 'call', 'explain'] as const) {
      expect(outcome(judge(input, analysis(statement(kind))))).toBe('allow');
    }
  });

  it('applies to environment prod only, unless told where', () => {
    expect(outcome(judge(input, analysis(statement('drop')), { environment: 'staging' }))).toBe('allow');
    const production: GuardrailsInput = { presets: [{ name: 'protect-prod', environment: ['production', 'prod-*'] }] };
    expect(outcome(judge(production, analysis(statement('drop')), { environment: 'production' }))).toBe('deny protect-prod/no-drop');
    expect(outcome(judge(production, analysis(statement('drop')), { environment: 'prod-eu' }))).toBe('deny protect-prod/no-drop');
    expect(outcome(judge(production, analysis(statement('drop')), { environment: 'prod' }))).toBe('allow');
    const everywhere: GuardrailsInput = { presets: [{ name: 'protect-prod', environment: '*' }] };
    expect(outcome(judge(everywhere, analysis(statement('drop')), { environment: undefined }))).toBe('deny protect-prod/no-drop');
  });

  it('can be narrowed, exempt people, name approvers and a timeout', () => {
    const tuned = compilePolicy(
      options({
        presets: [{ name: 'protect-prod', match: { listener: 'pg-*' }, unless: { groups: 'migrations' }, approvers: ['dba'], timeout: '2m' }],
      }),
    );
    const held = evaluate(tuned, context(), 'alter', analysis(statement('alter')));
    expect(held.action === 'hold' && held.rules.map((r) => [r.approvers, r.timeoutMs])).toEqual([[['dba'], 120_000]]);
    expect(evaluate(tuned, context({ listener: 'mysql-prod' }), 'drop', analysis(statement('drop'))).action).toBe('allow');
    expect(evaluate(tuned, context({ identity: identity('ci', ['migrations']) }), 'drop', analysis(statement('drop'))).action).toBe('allow');
  });

  it('dry_run turns every rule into a log rule', () => {
    const judged = judge({ presets: [{ name: 'protect-prod', dry_run: true }] }, analysis(statement('drop'), statement('alter')));
    expect(judged.action).toBe('allow');
    expect(judged.wouldDeny.map((f) => [f.rule.name, f.reason])).toEqual([
      ['protect-prod/no-drop', 'statement 1 of 2: DROP would be denied'],
      ['protect-prod/ddl-needs-approval', 'statement 2 of 2: ALTER would be denied'],
    ]);
  });

  it('combines with the config rules, most restrictive winning', () => {
    const input2: GuardrailsInput = {
      presets: ['protect-prod'],
      rules: [{ name: 'no-create-in-prod', match: { environment: 'prod', statement: 'create' }, action: 'deny' }],
    };
    expect(outcome(judge(input2, analysis(statement('create'))))).toBe('deny no-create-in-prod');
  });
});

describe('read-only', () => {
  const input: GuardrailsInput = { presets: ['read-only'] };

  it('lets reads, SHOW, EXPLAIN, SET and transaction control through, everywhere', () => {
    for (const kind of ['select', 'show', 'explain', 'set', 'transaction'] as const) {
      expect(outcome(judge(input, analysis(statement(kind)), { environment: 'dev' }))).toBe('allow');
    }
  });

  it('denies every write, including one inside a read', () => {
    for (const kind of ['insert', 'update', 'delete', 'merge', 'create', 'drop', 'copy', 'call', 'other', 'execute'] as const) {
      expect(outcome(judge(input, analysis(statement(kind))))).toBe('deny read-only/reads-only');
    }
    expect(outcome(judge(input, analysis(statement('select', { kinds: ['select', 'delete'] }))))).toBe('deny read-only/reads-only');
    expect(outcome(judge(input, analysis(statement('explain', { kinds: ['explain', 'delete'] }))))).toBe('deny read-only/reads-only');
    const reason = judge(input, analysis(statement('select', { kinds: ['select', 'insert'] })));
    expect(reason.action === 'deny' && reason.reason).toBe('INSERT is not allowed');
  });

  it('denies SQL it cannot analyze, in any environment', () => {
    expect(outcome(judge(input, { statements: [], error: 'syntax error' }, { environment: 'dev' }))).toBe('deny read-only/reads-only');
  });

  it('denies SELECTs that write through functions', () => {
    expect(outcome(judge(input, analysis(statement('select', { functions: ['nextval'] }))))).toBe('deny read-only/no-side-effect-functions');
    expect(outcome(judge(input, analysis(statement('select', { functions: ['pg_advisory_lock'] }))))).toBe('deny read-only/no-side-effect-functions');
  });

  it('can exempt a group', () => {
    const exempt: GuardrailsInput = { presets: [{ name: 'read-only', unless: { groups: 'writers' } }] };
    expect(outcome(judge(exempt, analysis(statement('insert')), { identity: identity('w', ['writers']) }))).toBe('allow');
    expect(outcome(judge(exempt, analysis(statement('insert'))))).toBe('deny read-only/reads-only');
  });
});

describe('function lists', () => {
  it('the side-effect list includes every dangerous function', () => {
    for (const name of DANGEROUS_FUNCTIONS) expect(SIDE_EFFECT_FUNCTIONS).toContain(name);
  });
});
