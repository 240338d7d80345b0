import { describe, expect, expectTypeOf, it } from 'vitest';
import type {
  ListenerConfig,
  LoggingConfig,
  OidcConfig,
  PluginConfig,
  SluiceConfig,
  StaticUserConfig,
  TimeoutsConfig,
  TlsFiles,
  UpstreamConfig,
} from './index.js';
import { createConfigSchema } from './index.js';

describe('config types', () => {
  // Checked by tsc (npx tsc --noEmit -p .); vitest only runs the assertions as no-ops.
  it('keep the YAML snake_case keys and give parsed values their final types', () => {
    expectTypeOf<ListenerConfig['listen']>().toEqualTypeOf<{ host: string; port: number }>();
    expectTypeOf<UpstreamConfig['port']>().toEqualTypeOf<number>();
    expectTypeOf<UpstreamConfig['tls']>().toEqualTypeOf<'disable' | 'prefer' | 'require' | 'verify-full'>();
    expectTypeOf<TlsFiles>().toEqualTypeOf<{ cert: string; key: string; ca?: string | undefined }>();
    expectTypeOf<StaticUserConfig>().toEqualTypeOf<{ name: string; password: string; groups: string[] }>();
    expectTypeOf<OidcConfig>().toExtend<{ issuer: string; audience: string; groups_claim: string }>();
    expectTypeOf<PluginConfig>().toEqualTypeOf<{ use: string; with?: Record<string, unknown> | undefined }>();
    expectTypeOf<LoggingConfig>().toEqualTypeOf<{
      level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
      format: 'auto' | 'json' | 'pretty';
    }>();
    expectTypeOf<TimeoutsConfig>().toEqualTypeOf<{ connect: number; idle: number; shutdown: number }>();
    expectTypeOf<NonNullable<ListenerConfig['timeouts']>>().toEqualTypeOf<{
      connect?: number | undefined;
      idle?: number | undefined;
    }>();
    expectTypeOf<SluiceConfig['identity']['users']>().toEqualTypeOf<StaticUserConfig[]>();
  });
});

describe('createConfigSchema', () => {
  const minimal = {
    listeners: [{ name: 'pg', dialect: 'postgres', listen: 'localhost:6432', upstream: { host: 'db', port: 5432 } }],
  };

  it('treats an empty (null) optional section like a missing one', () => {
    const parsed = createConfigSchema('/cfg').parse({ ...minimal, identity: null, plugins: null, logging: null, timeouts: null });
    expect(parsed).toMatchObject({ identity: { users: [] }, plugins: [], logging: { level: 'info' }, timeouts: { idle: 0 } });
    expect(createConfigSchema('/cfg').parse({ ...minimal, identity: { users: null } }).identity.users).toEqual([]);
  });

  it('accepts any lowercase dialect word, leaving the driver lookup for later', () => {
    const withDialect = (dialect: string) => ({ listeners: [{ ...minimal.listeners[0], dialect }] });
    expect(createConfigSchema('/cfg').safeParse(withDialect('cockroach')).success).toBe(true);
    expect(createConfigSchema('/cfg').safeParse(withDialect('Postgres')).success).toBe(false);
    expect(createConfigSchema('/cfg').safeParse(withDialect('')).success).toBe(false);
  });
});
