// The `with:` schema: the DESIGN.md shape, the defaults, and the mistakes it refuses with the key path.
import { describe, expect, it } from 'vitest';
import { optionsSchema } from './options.js';

function issues(input: unknown): string[] {
  const result = optionsSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('options', () => {
  it('accept the DESIGN.md example as it is', () => {
    const parsed = optionsSchema.parse({
      rules: [
        { name: 'no-drop-in-prod', match: { environment: 'prod', statement: ['drop', 'truncate'] }, action: 'deny' },
        { name: 'review-ddl', match: { environment: 'prod', statement: ['alter', 'create'] }, action: 'require_approval' },
        { name: 'no-unbounded-delete', match: { statement: ['delete', 'update'], where: 'absent' }, action: 'deny' },
      ],
    });
    expect(parsed.rules.map((r) => r.name)).toEqual(['no-drop-in-prod', 'review-ddl', 'no-unbounded-delete']);
    expect(parsed.rules[0]!.match.environment).toEqual(['prod']);
  });

  it('fill in every default', () => {
    expect(optionsSchema.parse({})).toEqual({
      rules: [],
      presets: [],
      default: 'allow',
      unknown: { prod: 'deny', '*': 'log' },
      approvals: { approvers: [], timeout: 600_000, webhooks: [] },
    });
    const parsed = optionsSchema.parse({ approvals: { webhooks: [{ url: 'https://hooks.slack.com/services/T/B/x', format: 'slack' }] } });
    expect(parsed.approvals.webhooks[0]).toEqual({ url: 'https://hooks.slack.com/services/T/B/x', format: 'slack', headers: {}, timeout: 5_000 });
  });

  it('read a preset by name or as an object, and durations as text', () => {
    const parsed = optionsSchema.parse({ presets: ['read-only', { name: 'protect-prod', timeout: '90s', approvers: 'dba' }] });
    expect(parsed.presets).toEqual([{ name: 'read-only' }, { name: 'protect-prod', timeout: 90_000, approvers: ['dba'], dry_run: false }]);
  });

  it('refuse unknown keys, kinds, actions and presets, with the path', () => {
    expect(issues({ rules: [{ name: 'x', match: { statment: ['drop'] }, action: 'deny' }] })).toEqual([expect.stringMatching(/^rules\.0\.match: Unrecognized key: "statment"/)]);
    expect(issues({ rules: [{ name: 'x', match: { statement: ['dorp'] }, action: 'deny' }] })[0]).toMatch(/^rules\.0\.match\.statement.*expected a statement kind/);
    expect(issues({ rules: [{ name: 'x', action: 'reject' }] })[0]).toMatch(/^rules\.0\.action/);
    expect(issues({ presets: ['protect-everything'] })[0]).toMatch(/^presets\.0.*expected a preset: protect-prod, read-only/);
    expect(issues({ rulez: [] })[0]).toMatch(/Unrecognized key: "rulez"/);
  });

  it('refuse approval settings on a rule that does not hold', () => {
    expect(issues({ rules: [{ name: 'x', match: {}, action: 'deny', approvers: ['dba'], timeout: '5m' }] })).toEqual([
      'rules.0.approvers: approvers only applies to action require_approval',
      'rules.0.timeout: timeout only applies to action require_approval',
    ]);
  });

  it('refuse duplicate and reserved rule names', () => {
    const rule = { match: {}, action: 'deny' };
    expect(issues({ rules: [{ name: 'a', ...rule }, { name: 'a', ...rule }] })).toEqual(['rules.1.name: duplicate rule name (already used by rule 0)']);
    expect(issues({ rules: [{ name: 'unknown-sql', ...rule }] })).toEqual(['rules.0.name: unknown-sql is the name of a built-in rule']);
    expect(issues({ rules: [{ name: 'protect-prod/mine', ...rule }] })).toEqual(['rules.0.name: protect-prod/mine is the name of a built-in rule']);
    expect(issues({ presets: ['read-only', { name: 'read-only' }] })).toEqual(['presets.1: preset read-only is already switched on by presets 0']);
  });

  it('refuse bad time windows, durations and webhook URLs', () => {
    expect(issues({ rules: [{ name: 'x', match: { time: { days: ['funday'], from: '25:00', timezone: 'Mars/Olympus' } }, action: 'deny' }] })).toEqual([
      'rules.0.match.time.days.0: expected a day (mon…sun) or a range such as mon-fri',
      'rules.0.match.time.from: expected a time of day HH:MM',
      'rules.0.match.time.timezone: expected an IANA time zone such as UTC or Europe/Paris',
    ]);
    expect(issues({ approvals: { timeout: 'soon' } })).toEqual(['approvals.timeout: expected a duration such as 30s, 5m, 1h or a number of milliseconds']);
    expect(issues({ approvals: { timeout: 0 } })).toHaveLength(1);
    expect(issues({ approvals: { webhooks: [{ url: 'ftp://example.com/x' }] } })[0]).toMatch(/^approvals\.webhooks\.0\.url: expected an http or https URL/);
  });

  it('take unknown as one action or one per environment', () => {
    expect(optionsSchema.parse({ unknown: 'require_approval' }).unknown).toBe('require_approval');
    expect(optionsSchema.parse({ unknown: { prod: 'deny', '*': 'allow' } }).unknown).toEqual({ prod: 'deny', '*': 'allow' });
    expect(issues({ unknown: 'ignore' })).toHaveLength(1);
  });
});
