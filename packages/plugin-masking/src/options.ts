// The plugin's `with:` options: their schema, and every default in one literal.
import { z } from 'zod';
import { SENSITIVE_TYPES, STRATEGIES } from './sensitive-types.js';

export const DEFAULT_OPTIONS = {
  detect: 'auto',
  rules: [],
  strategies: {},
  unmasked_groups: [],
  phone_regions: ['US'],
  copy_out: 'deny',
  hash_key: undefined,
  environments: {},
} as const;

const sensitiveType = z.enum(SENSITIVE_TYPES);
const strategy = z.enum(STRATEGIES);

const rule = z
  .strictObject({
    /** Glob on `column`, `table.column` or `schema.table.column`; `*` matches within one name, `?` one character. */
    column: z.string().min(1).optional(),
    /** Applies to values detected as this type. */
    type: sensitiveType.optional(),
    /** Declares that the column holds this type: every value is masked as one. */
    as: sensitiveType.optional(),
    strategy: strategy.optional(),
  })
  .superRefine((r, ctx) => {
    if (r.column === undefined && r.type === undefined) ctx.addIssue({ code: 'custom', message: 'a rule needs `column`, `type` or both' });
    if (r.as !== undefined && (r.column === undefined || r.type !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['as'], message: '`as` goes with `column` and without `type`' });
    }
    if (r.as === undefined && r.strategy === undefined) ctx.addIssue({ code: 'custom', path: ['strategy'], message: 'a rule without `as` needs a `strategy`' });
  });

const settingsShape = {
  /** auto: classify columns by name, type and values. off: only `rules` with a `column` apply. */
  detect: z.enum(['auto', 'off']).optional(),
  /** First match wins; see the README for the four forms. */
  rules: z.array(rule).optional(),
  /** Strategy per detected type, over the defaults. */
  strategies: z.partialRecord(sensitiveType, strategy).optional(),
  /** Identities in any of these groups see clear values. */
  unmasked_groups: z.array(z.string().min(1)).optional(),
  /** Regions (ISO 3166 alpha-2) whose national phone formats are recognized; `+` numbers always are. */
  phone_regions: z.array(z.string().regex(/^[A-Z]{2}$/, 'a two-letter region code such as US or GB')).min(1).optional(),
  /** COPY … TO a server file or PROGRAM (rows Sluice never sees): deny it (the default) or allow it. COPY TO STDOUT is masked. */
  copy_out: z.enum(['deny', 'allow']).optional(),
  /** HMAC key for the `hash` strategy, at least 16 characters; use `${env:…}` or `${file:…}`. */
  hash_key: z.string().min(16, 'the hash key needs at least 16 characters').optional(),
};

const settings = z.strictObject(settingsShape);

export const optionsSchema = z
  .strictObject({
    ...settingsShape,
    /** Settings for listeners tagged with an environment, over the settings above. */
    environments: z.record(z.string().min(1), settings).optional(),
  })
  .superRefine((options, ctx) => {
    const usesHash = (s: z.output<typeof settings>) =>
      Object.values(s.strategies ?? {}).includes('hash') || (s.rules ?? []).some((r) => r.strategy === 'hash');
    if (options.hash_key === undefined && usesHash(options)) {
      ctx.addIssue({ code: 'custom', path: ['hash_key'], message: 'the hash strategy needs hash_key' });
    }
    for (const [name, env] of Object.entries(options.environments ?? {})) {
      if ((env.hash_key ?? options.hash_key) === undefined && usesHash(env)) {
        ctx.addIssue({ code: 'custom', path: ['environments', name, 'hash_key'], message: 'the hash strategy needs hash_key' });
      }
    }
  });

export type MaskingOptions = z.input<typeof optionsSchema>;
export type ParsedOptions = z.output<typeof optionsSchema>;
export type EnvironmentSettings = z.output<typeof settings>;
export type RuleOptions = z.output<typeof rule>;
