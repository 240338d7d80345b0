// The proof corpora through the real parsers of @sluice/sql: every bypass attempt caught, ordinary SQL let through.
import type { SqlParser } from '@sluice/core';
import { loadSqlParsers } from '@sluice/sql';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluate, type Judgement } from '../evaluate.js';
import { compilePolicy, type Policy } from '../policy.js';
import { context, identity, options } from '../testing/fixtures.js';
import { BYPASSES, BYPASS_POLICY, NAMED_TRICKS } from './bypass.js';
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
    it.each(BYPASSES[dialect].map((attempt) => [`${attempt.category}: ${attempt.trick}`, attempt] as const))('%s', (_trick, attempt) => {
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

/** Dialect-specific forms of the named tricks that the corpus must try: a missing one fails here by name. */
const REQUIRED_FORMS: Readonly<Record<(typeof DIALECTS)[number], Readonly<Record<string, RegExp>>>> = {
  postgres: {
    'nested comment': /\/\*[^*]*\/\*/,
    'unicode escape': /U&"/,
    'DML in a CTE': /with \w+ as \((delete|update)/i,
    'PREPARE ... AS': /prepare \w+ as/i,
    'COPY ... PROGRAM': /copy .* program/i,
    'EXPLAIN ANALYZE DELETE': /explain analyze delete/i,
    'DO block': /^do \$\$/i,
  },
  mysql: {
    'versioned comment': /\/\*!\d{5}/,
    'MariaDB executable comment': /\/\*M!/,
    '-- without a space': /--[^\s]/,
    'tab, newline, form feed, non-breaking space': /\t[\s\S]*\n|\f|\u00a0/,
    backticks: /`/,
    '"quoted" identifier': /FROM "/,
    'CTE before DML': /^with .*\) (delete|update)/i,
    'DML inside a CTE': /with \w+ as \((delete|update)/i,
    'PREPARE ... FROM': /prepare \w+ from/i,
    EXECUTE: /execute \w+/i,
    'LOAD DATA INFILE': /load data .*infile/i,
    'LOAD XML': /load xml/i,
    'INTO OUTFILE': /into outfile/i,
    'INTO DUMPFILE': /into dumpfile/i,
    LOAD_FILE: /load_file/i,
    'BEGIN; ... COMMIT': /^begin;.*commit$/i,
    XA: /xa start/i,
    'EXPLAIN ANALYZE': /^explain analyze (delete|update)/i,
    'MariaDB ANALYZE DELETE': /^analyze delete/i,
    'procedure body with DROP': /create procedure .* drop/i,
  },
  mssql: {
    'nested comment': /\/\*[^*]*\/\*/,
    'tab, newline, form feed, non-breaking space': /\t[\s\S]*\n|\f|\u00a0/,
    '[brackets]': /\[\w+\]\.\[\w+\]/,
    '"quoted" identifiers': /FROM "\w+"\."/,
    "sp_executesql N'...'": /sp_executesql N'/i,
    "EXEC('...')": /exec(ute)?\s*\(\s*N?'/i,
    'EXEC sp_executesql of concatenated text': /= N'[^']*' \+ N'[^']*'; EXEC sp_executesql @/i,
    'sp_prepare / sp_prepexec': /sp_prep(are|exec)/i,
    'CTE before DML': /^;?with .*\) (delete|update)/i,
    'BULK INSERT': /bulk insert/i,
    'OPENROWSET(BULK ...)': /openrowset\(bulk/i,
    OPENDATASOURCE: /opendatasource/i,
    xp_cmdshell: /xp_cmdshell/i,
    'BEGIN TRAN ... COMMIT': /^begin tran.*commit/i,
    'SET STATISTICS ... ON': /set statistics (profile|xml) on/i,
    'procedure body with DROP': /create (or alter )?proc(edure)? .* (drop|truncate)/i,
  },
};

describe('the corpora', () => {
  it.each(DIALECTS)('%s: tries every trick the issue names, in the forms its dialect offers', (dialect) => {
    const attempts = BYPASSES[dialect];
    for (const category of NAMED_TRICKS) {
      expect(attempts.filter((a) => a.category === category).length, `${dialect}: ${category}`).toBeGreaterThanOrEqual(2);
    }
    for (const [form, pattern] of Object.entries(REQUIRED_FORMS[dialect])) {
      expect(attempts.some((a) => pattern.test(a.sql)), `${dialect}: ${form}`).toBe(true);
    }
  });

  it.each(DIALECTS)('%s: ordinary SQL covers ORM queries, reporting and migrations', (dialect) => {
    const sources = ORDINARY[dialect].map((s) => s.source.toLowerCase()).join('\n');
    expect(ORDINARY[dialect].length).toBeGreaterThanOrEqual(40);
    for (const kind of ['report', 'migration']) expect(sources, `${dialect}: ${kind}`).toContain(kind);
    expect(ORDINARY[dialect].some((s) => s.environment !== 'prod'), `${dialect}: migrations outside prod`).toBe(true);
  });
});
