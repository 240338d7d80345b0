import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../config/index.js';
import { oidcSettings } from './oidc-settings.js';

const listener = (upstream: string) => `listeners: [ { name: pg, dialect: postgres, listen: 127.0.0.1:0, upstream: { host: db, port: 5432, ${upstream} } } ]\n`;

function issues(text: string): string[] {
  try {
    parseConfigText(text, { file: '/cfg/sluice.yaml' });
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  return [];
}

describe('identity config', () => {
  it('reads upstream.by_group and set_role', () => {
    const { config } = parseConfigText(listener('user: gw, set_role: true, by_group: [ { group: dba, user: app_dba } ]'), { file: '/cfg/sluice.yaml' });
    expect(config.listeners[0]!.upstream).toMatchObject({ user: 'gw', set_role: true, by_group: [{ group: 'dba', user: 'app_dba' }] });
  });

  it('refuses set_role without a login user or without groups to switch to', () => {
    expect(issues(listener('set_role: true'))).toEqual([
      'listeners[0].upstream.user: set_role needs the login user that switches roles',
      'listeners[0].upstream.by_group: set_role needs at least one by_group entry to switch to',
    ]);
  });

  it('accepts an http issuer only on loopback', () => {
    const oidc = (issuer: string) => `${listener('')}identity: { oidc: { issuer: "${issuer}", audience: sluice } }\n`;
    expect(issues(oidc('http://127.0.0.1:9000'))).toEqual([]);
    expect(issues(oidc('http://idp.example.com'))).toEqual([
      'identity.oidc.issuer: the issuer must use https (http is accepted only for a loopback address, in tests and development)',
    ]);
    expect(issues(oidc('not a url'))).toEqual(['identity.oidc.issuer: expected an http(s) URL']);
  });

  it('refuses unknown token algorithms and fills in every default', () => {
    const text = `${listener('')}identity: { oidc: { issuer: "https://idp.example.com", audience: sluice, algorithms: [HS256] } }\n`;
    expect(issues(text)).toHaveLength(1);
    const { config } = parseConfigText(`${listener('')}identity: { oidc: { issuer: "https://idp.example.com", audience: sluice, clock_tolerance: 5s } }\n`, { file: '/cfg/sluice.yaml' });
    expect(oidcSettings(config.identity.oidc!)).toMatchObject({
      groups_claim: 'groups',
      name_claim: 'preferred_username',
      email_claim: 'email',
      scope: 'openid',
      clock_tolerance: 5_000,
      on_expiry: 'end_session',
      allow_plaintext_loopback: false,
      sasl_oauthbearer: false,
    });
  });
});
