// The plugin's `with:` block: its schema, its defaults, and the types the rest of the plugin reads.
import { parseDuration } from '@sluice/core';
import { z } from 'zod';
import { KIND_NAMES, type KindName } from './kinds.js';
import { PRESET_NAMES, type PresetName } from './presets.js';
import { isKnownTimeZone, parseDays, parseTimeOfDay } from './time-window.js';

/** Every option and its default, in one place. */
export const DEFAULTS = {
  rules: [],
  presets: [],
  default: 'allow',
  unknown: { prod: 'deny', '*': 'log' },
  approvals: { approvers: [], timeoutMs: 10 * 60_000, webhookTimeoutMs: 5_000 },
} as const;

export const RULE_ACTIONS = ['allow', 'deny', 'require_approval', 'log'] as const;
export type RuleAction = (typeof RULE_ACTIONS)[number];

export const UNKNOWN_ACTIONS = ['deny', 'require_approval', 'log', 'allow'] as const;
export type UnknownAction = (typeof UNKNOWN_ACTIONS)[number];

const RULE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/;
const DURATION_HINT = 'expected a duration such as 30s, 5m, 1h or a number of milliseconds';

const text = () => z.string().min(1);

/**
 * A value written in one of two shapes (a name or an object, one item or a list): checked against
 * the schema its shape calls for, so an issue names the real key path instead of "Invalid input".
 */
const eitherShape = <A extends z.ZodType, B extends z.ZodType>(isFirst: (value: unknown) => boolean, first: A, second: B) =>
  z.unknown().transform((value, ctx): z.output<A> | z.output<B> => {
    const result = isFirst(value) ? first.safeParse(value) : second.safeParse(value);
    if (!result.success) {
      for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: [...issue.path] });
      return z.NEVER;
    }
    return result.data as z.output<A> | z.output<B>;
  });

/** `x` or `[x, y]`, always read as a list. */
const oneOrMore = <T extends z.ZodType>(item: T) =>
  eitherShape(Array.isArray, z.array(item).min(1), item.transform((one) => [one])).transform((value) => value as z.output<T>[]);

const duration = () =>
  z.union([z.number(), z.string()], { error: DURATION_HINT }).transform((value, ctx) => {
    const milliseconds = parseDuration(value);
    if (milliseconds === undefined || milliseconds === 0) {
      ctx.addIssue({ code: 'custom', message: DURATION_HINT });
      return z.NEVER;
    }
    return milliseconds;
  });

const kindName = z.enum(KIND_NAMES as [KindName, ...KindName[]], { error: `expected a statement kind: ${KIND_NAMES.join(', ')}` });

const timeWindowSchema = z
  .strictObject({
    days: oneOrMore(text()).optional(),
    from: text().default('00:00'),
    to: text().default('24:00'),
    timezone: text().default('UTC'),
  })
  .transform((window, ctx) => {
    const days = new Set<number>();
    for (const [index, entry] of (window.days ?? []).entries()) {
      const parsed = parseDays(entry);
      if (!parsed) ctx.addIssue({ code: 'custom', path: ['days', index], message: 'expected a day (mon…sun) or a range such as mon-fri' });
      else for (const day of parsed) days.add(day);
    }
    const from = parseTimeOfDay(window.from);
    const to = parseTimeOfDay(window.to);
    if (from === undefined) ctx.addIssue({ code: 'custom', path: ['from'], message: 'expected a time of day HH:MM' });
    if (to === undefined) ctx.addIssue({ code: 'custom', path: ['to'], message: 'expected a time of day HH:MM' });
    if (!isKnownTimeZone(window.timezone)) ctx.addIssue({ code: 'custom', path: ['timezone'], message: 'expected an IANA time zone such as UTC or Europe/Paris' });
    return { days, from: from ?? 0, to: to ?? 0, timezone: window.timezone };
  });

export const matchSchema = z.strictObject({
  listener: oneOrMore(text()).optional(),
  environment: oneOrMore(text()).optional(),
  dialect: oneOrMore(text()).optional(),
  user: oneOrMore(text()).optional(),
  groups: oneOrMore(text()).optional(),
  statement: oneOrMore(kindName).optional(),
  tables: oneOrMore(text()).optional(),
  columns: oneOrMore(text()).optional(),
  where: z.enum(['absent', 'present']).optional(),
  functions: oneOrMore(text()).optional(),
  time: oneOrMore(timeWindowSchema).optional(),
});
export type MatchOptions = z.output<typeof matchSchema>;

const ruleSchema = z
  .strictObject({
    name: z.string().regex(RULE_NAME, 'expected a rule name of letters, digits and - _ . : /'),
    match: matchSchema.default({}),
    unless: matchSchema.optional(),
    action: z.enum(RULE_ACTIONS),
    reason: text().optional(),
    approvers: oneOrMore(text()).optional(),
    timeout: duration().optional(),
  })
  .superRefine((rule, ctx) => {
    for (const key of ['approvers', 'timeout'] as const) {
      if (rule[key] !== undefined && rule.action !== 'require_approval') {
        ctx.addIssue({ code: 'custom', path: [key], message: `${key} only applies to action require_approval` });
      }
    }
  });
export type RuleOptions = z.output<typeof ruleSchema>;

const presetName = z.enum(PRESET_NAMES as [PresetName, ...PresetName[]], { error: `expected a preset: ${PRESET_NAMES.join(', ')}` });

const presetSchema = eitherShape(
  (value) => typeof value === 'string',
  presetName.transform((name) => ({ name })),
  z.strictObject({
    name: presetName,
    /** Replaces the preset's own environment scope (`protect-prod` applies to `prod` only); `'*'` is everywhere. */
    environment: oneOrMore(text()).optional(),
    /** Narrows the preset further (listener, users, …). */
    match: matchSchema.optional(),
    /** Exempts statements or people from every rule of the preset. */
    unless: matchSchema.optional(),
    approvers: oneOrMore(text()).optional(),
    timeout: duration().optional(),
    /** Turns the preset's deny and approval rules into `log` rules, to see what it would do first. */
    dry_run: z.boolean().default(false),
  }),
);
export type PresetOptions = z.output<typeof presetSchema>;
/** A preset entry read the same way whether it was written as a name or as an object. */
export type PresetSettings = Partial<Extract<PresetOptions, { dry_run: boolean }>> & { name: PresetName };

const webhookSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'expected an http or https URL' }),
  format: z.enum(['json', 'slack']).default('json'),
  /** Extra request headers, e.g. an Authorization header; their values never reach the log. */
  headers: z.record(z.string(), z.string()).default({}),
  timeout: duration().default(DEFAULTS.approvals.webhookTimeoutMs),
});
export type WebhookOptions = z.output<typeof webhookSchema>;

const approvalsSchema = z.strictObject({
  /** Groups whose members may decide, for rules that name none. */
  approvers: oneOrMore(text()).default([]),
  timeout: duration().default(DEFAULTS.approvals.timeoutMs),
  /** The admin API's public address, for the approve/deny links in notifications. */
  base_url: z.url({ protocol: /^https?$/, error: 'expected an http or https URL' }).optional(),
  webhooks: z.array(webhookSchema).default([]),
});
export type ApprovalsOptions = z.output<typeof approvalsSchema>;

const unknownAction = z.enum(UNKNOWN_ACTIONS);

export const optionsSchema = z
  .strictObject({
    rules: z.array(ruleSchema).default([]),
    presets: z.array(presetSchema).default([]),
    /** What a statement no rule matched gets. */
    default: z.enum(['allow', 'deny']).default(DEFAULTS.default),
    /** Statements the parser could not understand: one action, or one per environment with `'*'` for the rest. */
    unknown: eitherShape((value) => typeof value === 'string', unknownAction, z.record(z.string(), unknownAction)).default({ ...DEFAULTS.unknown }),
    approvals: approvalsSchema.default({ approvers: [], timeout: DEFAULTS.approvals.timeoutMs, webhooks: [] }),
  })
  .superRefine((options, ctx) => {
    const seen = new Map<string, number>();
    options.rules.forEach((rule, index) => {
      if (isReservedRuleName(rule.name)) {
        ctx.addIssue({ code: 'custom', path: ['rules', index, 'name'], message: `${rule.name} is the name of a built-in rule` });
      }
      const first = seen.get(rule.name);
      if (first === undefined) seen.set(rule.name, index);
      else ctx.addIssue({ code: 'custom', path: ['rules', index, 'name'], message: `duplicate rule name (already used by rule ${first})` });
    });
    const presets = new Map<string, number>();
    options.presets.forEach((preset, index) => {
      const first = presets.get(preset.name);
      if (first === undefined) presets.set(preset.name, index);
      else ctx.addIssue({ code: 'custom', path: ['presets', index], message: `preset ${preset.name} is already switched on by presets ${first}` });
    });
  });

/** The rule that handles statements the parser could not understand. */
export const UNKNOWN_RULE = 'unknown-sql';
/** The pseudo-rule named when `default: deny` refuses a statement no rule allowed. */
export const DEFAULT_DENY_RULE = 'default-deny';

function isReservedRuleName(name: string): boolean {
  return name === UNKNOWN_RULE || name === DEFAULT_DENY_RULE || PRESET_NAMES.some((preset) => name.startsWith(`${preset}/`));
}

export type GuardrailsOptions = z.output<typeof optionsSchema>;
export type GuardrailsInput = z.input<typeof optionsSchema>;
