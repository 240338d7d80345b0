// The proof corpora through the real parsers of @sluice/sql: every bypass attempt caught, ordinary SQL let through.
import type { SqlParser } from '@sluice/core';
import { loadSqlParsers } from '@sluice/sql';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluate, type Judgement } from '../evaluate.js';
import { compilePolicy, type Policy } from '../policy.js';
import { context, identity, options } from '../testing/fixtures.js';
import { BYPASSES, BYPASS_POLICY } from './bypass.js';
import { ORDINARY } from './ordinary.js';

const DIALECTS = ['postgres', 'mysql', 'mssql'] as const;
const parsers = new Map<string, SqlParser>();
const bypassPolicy: Policy = compilePolicy(options(BYPASS_POLICY));
const protectProd: Policy = compilePolicy(options({ presets: ['protect-prod'], approvals: { approvers: ['dba'] } }));

beforeAll(async () => {
  for (const parser of await loadSqlParsers()) parsers.set(parser.dialect, parser);
});

function judge(policy: Policy, dialect: string, sql: string, environment: string): Judgement {
  const parser = parsers.get(dialect);
  if (!parser) throw new Error(`@sluice/sql has no parser for ${dialect}`);
  return evaluate(policy, context({ dialect, environment, identity: identity('app', ['services']) }), sql, parser.parse(sql));
}

function caughtBy(judgement: Judgement): string {
  if (judgement.action === 'deny') return `deny ${judgement.rule}`;
  if (judgement.action === 'hold') return `hold ${judgement.rules[0]!.name}`;
  return 'allow';
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: bypass attempts under protect-prod`, () => {
    it.each(BYPASSES[dialect].map((attempt) => [attempt.trick, attempt] as const))('%s', (_trick, attempt) => {
      expect(caughtBy(judge(bypassPolicy, dialect, attempt.sql, 'prod')), attempt.sql).toBe(`${attempt.expect} ${attempt.rule}`);
    });
  });

  describe(`${dialect}: ordinary application SQL under protect-prod`, () => {
    it('is all allowed: the false-positive rate is printed and must be 0', () => {
      const corpus = ORDINARY[dialect];
      const refused = corpus
        .map((statement) => ({ statement, verdict: caughtBy(judge(protectProd, dialect, statement.sql, statement.environment)) }))
        .filter((result) => result.verdict !== 'allow');
      const rate = ((refused.length / corpus.length) * 100).toFixed(1);
      console.log(`protect-prod false positives (${dialect}): ${refused.length}/${corpus.length} = ${rate}%`);
      for (const { statement, verdict } of refused) console.log(`  ${verdict}: [${statement.source}] ${statement.sql}`);
      expect(refused.map((r) => `${r.verdict}: ${r.statement.sql}`)).toEqual([]);
    });
  });
}

describe('the corpora', () => {
  it('cover every trick the issue names, in every dialect', () => {
    const postgres = BYPASSES.postgres.map((a) => a.trick.toLowerCase()).join('\n');
    for (const trick of ['comment', 'whitespace', 'case', 'quoted', 'several statements|harmless first', 'cte', 'prepare', 'copy', 'transaction', 'explain analyze', 'file']) {
      expect(postgres, trick).toMatch(new RegExp(trick));
    }
    for (const dialect of DIALECTS) expect(BYPASSES[dialect].length).toBeGreaterThan(10);
  });
});
