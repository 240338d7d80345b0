// The sluice.yaml schema and the config types it produces.
import path from 'node:path';
import { z } from 'zod';
import { TOKEN_ALGORITHMS } from '../identity/token-algorithms.js';
import { isSecureIssuer } from '../identity/loopback.js';
import { DURATION_HINT, parseDuration } from './duration.js';
import { LISTEN_ADDRESS_HINT, parseListenAddress } from './listen-address.js';

const LISTENER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const DIALECT_NAME = /^[a-z][a-z0-9]*$/;

const nonEmptyString = () => z.string().min(1);

const duration = () =>
  z.union([z.number(), z.string()], { error: DURATION_HINT }).transform((value, ctx) => {
    const milliseconds = parseDuration(value);
    if (milliseconds === undefined) {
      ctx.addIssue({ code: 'custom', message: DURATION_HINT });
      return z.NEVER;
    }
    return milliseconds;
  });

// A digit string is accepted too, so `port: ${env:PG_PORT}` works: interpolation always yields strings.
const portNumber = (min: number) => {
  const hint = `expected a port number from ${min} to 65535`;
  return z.union([z.number(), z.string()], { error: hint }).transform((value, ctx) => {
    const port = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isInteger(port) || port < min || port > 65_535) {
      ctx.addIssue({ code: 'custom', message: hint });
      return z.NEVER;
    }
    return port;
  });
};

const listenAddress = () =>
  z.string({ error: (issue) => (issue.input === undefined ? 'required' : LISTEN_ADDRESS_HINT) }).transform((text, ctx) => {
    const parsed = parseListenAddress(text);
    if (!parsed.ok) {
      ctx.addIssue({ code: 'custom', message: parsed.reason });
      return z.NEVER;
    }
    return parsed.address;
  });

/** Adds an issue at each item whose name repeats an earlier item's; runs even when some items are invalid. */
function withUniqueNames<T extends z.ZodArray<z.ZodType>>(items: T, what: string): T {
  const check = (values: readonly unknown[], ctx: z.RefinementCtx) => {
    const firstIndexByName = new Map<string, number>();
    values.forEach((item, index) => {
      const name = typeof item === 'object' && item !== null ? (item as { name?: unknown }).name : undefined;
      if (typeof name !== 'string') return;
      const firstIndex = firstIndexByName.get(name);
      if (firstIndex === undefined) firstIndexByName.set(name, index);
      else ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `duplicate ${what} (already used by item ${firstIndex})` });
    });
  };
  return items.superRefine(check, { when: (payload) => Array.isArray(payload.value) });
}

// `plugins:` with every entry commented out is null in YAML; treat it like a missing section.
function optionalSection<T extends z.ZodType>(section: T) {
  return z.preprocess((value) => value ?? undefined, section);
}

export function createConfigSchema(baseDir: string) {
  const filePath = () => nonEmptyString().transform((file) => path.resolve(baseDir, file));

  const tlsFiles = z.strictObject({ cert: filePath(), key: filePath(), ca: filePath().optional() });

  /** One `upstream.by_group` entry: members of `group` reach the database as `user`. */
  const groupLogin = z.strictObject({
    group: nonEmptyString(),
    user: nonEmptyString(),
    password: z.string().optional(),
  });

  const upstream = z
    .strictObject({
      host: nonEmptyString(),
      port: portNumber(1),
      user: z.string().optional(),
      password: z.string().optional(),
      database: z.string().optional(),
      tls: z.enum(['disable', 'prefer', 'require', 'verify-full']).default('prefer'),
      ca: filePath().optional(),
      /** The first entry whose group the identity has picks the upstream user (and password). Default: none. */
      by_group: z.array(groupLogin).optional(),
      /** Log in as `user`, then switch to the mapped role instead of logging in as it. Default: false. */
      set_role: z.boolean().optional(),
    })
    .superRefine((value, ctx) => {
      if (!value.set_role) return;
      if (!value.user) ctx.addIssue({ code: 'custom', path: ['user'], message: 'set_role needs the login user that switches roles' });
      if (!value.by_group?.length) ctx.addIssue({ code: 'custom', path: ['by_group'], message: 'set_role needs at least one by_group entry to switch to' });
    });

  const listener = z.strictObject({
    name: z.string().regex(LISTENER_NAME, {
      error: 'must start with a letter or digit and contain only letters, digits, ".", "_" and "-"',
    }),
    dialect: z.string().regex(DIALECT_NAME, { error: 'expected a lowercase dialect name, e.g. postgres, mysql or mssql' }),
    listen: listenAddress(),
    environment: nonEmptyString().optional(),
    tls: tlsFiles.optional(),
    upstream,
    timeouts: z.strictObject({ connect: duration().optional(), idle: duration().optional() }).optional(),
  });

  const staticUser = z.strictObject({
    name: nonEmptyString(),
    password: nonEmptyString(),
    groups: z.array(nonEmptyString()).default([]),
  });

  const oidc = z.strictObject({
    issuer: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).refine((issuer) => !URL.canParse(issuer) || isSecureIssuer(issuer), {
      error: 'the issuer must use https (http is accepted only for a loopback address, in tests and development)',
    }),
    audience: nonEmptyString(),
    groups_claim: nonEmptyString().default('groups'),
    // Defaults of the keys below: OIDC_DEFAULTS in identity/oidc-settings.ts.
    name_claim: nonEmptyString().optional(),
    email_claim: nonEmptyString().optional(),
    /** Scope clients ask for: `sluice login` and PostgreSQL 18 clients (via OAUTHBEARER discovery). */
    scope: nonEmptyString().optional(),
    algorithms: z.array(z.enum(TOKEN_ALGORITHMS)).min(1).optional(),
    clock_tolerance: duration().optional(),
    /** What happens to a session when its token expires. */
    on_expiry: z.enum(['end_session', 'keep']).optional(),
    /** Token login over a plaintext connection, from a loopback address only. */
    allow_plaintext_loopback: z.boolean().optional(),
    /** Offer SASL OAUTHBEARER (RFC 7628; PostgreSQL 18's libpq) instead of asking for the token as a password. */
    sasl_oauthbearer: z.boolean().optional(),
    /** Credentials Sluice uses for token introspection (RFC 7662), for opaque (non-JWT) tokens. */
    introspection: z.strictObject({ client_id: nonEmptyString(), client_secret: nonEmptyString() }).optional(),
    /** The public client `sluice login` uses for the device authorization flow. */
    login: z.strictObject({ client_id: nonEmptyString(), resource: nonEmptyString().optional() }).optional(),
  });

  const plugin = z.strictObject({
    use: nonEmptyString(),
    with: z.record(z.string(), z.unknown()).optional(),
  });

  return z.strictObject({
    listeners: withUniqueNames(z.array(listener).min(1), 'listener name'),
    identity: optionalSection(
      z
        .strictObject({
          users: optionalSection(withUniqueNames(z.array(staticUser), 'user name').default([])),
          oidc: oidc.optional(),
        })
        .prefault({}),
    ),
    plugins: optionalSection(z.array(plugin).default([])),
    logging: optionalSection(
      z
        .strictObject({
          level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
          format: z.enum(['auto', 'json', 'pretty']).default('auto'),
        })
        .prefault({}),
    ),
    admin: z
      .strictObject({
        listen: listenAddress(),
        /** Identities in one of these groups may use the admin API (sessions, reload, approvals…). */
        groups: z.array(nonEmptyString()).min(1).default(['sluice-admins']),
        tls: tlsFiles.optional(),
      })
      .optional(),
    timeouts: optionalSection(
      z
        .strictObject({
          connect: duration().default(10_000),
          idle: duration().default(0), // 0 = never
          shutdown: duration().default(30_000),
        })
        .prefault({}),
    ),
  });
}

export type SluiceConfigSchema = ReturnType<typeof createConfigSchema>;
export type SluiceConfig = z.output<SluiceConfigSchema>;
export type ListenerConfig = SluiceConfig['listeners'][number];
export type UpstreamConfig = ListenerConfig['upstream'];
export type TlsFiles = NonNullable<ListenerConfig['tls']>;
export type IdentityConfig = SluiceConfig['identity'];
export type StaticUserConfig = IdentityConfig['users'][number];
export type OidcConfig = NonNullable<IdentityConfig['oidc']>;
export type GroupLoginConfig = NonNullable<UpstreamConfig['by_group']>[number];
export type PluginConfig = SluiceConfig['plugins'][number];
export type LoggingConfig = SluiceConfig['logging'];
export type TimeoutsConfig = SluiceConfig['timeouts'];
export type AdminConfig = NonNullable<SluiceConfig['admin']>;
