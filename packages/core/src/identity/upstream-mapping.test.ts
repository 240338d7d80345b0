import { describe, expect, it } from 'vitest';
import type { Identity } from '../plugin.js';
import { upstreamLoginFor } from './upstream-mapping.js';

const person = (groups: string[], auth: Identity['auth'] = 'oidc'): Identity => ({ subject: 's-1', name: 'alice', groups, auth });
const byGroup = [
  { group: 'dba', user: 'app_dba', password: 'dba-pw' },
  { group: 'analyst', user: 'app_ro' },
];

describe('upstreamLoginFor', () => {
  it('lets the first matching by_group entry pick user and password, in config order', () => {
    const upstream = { user: 'app', password: 'app-pw', by_group: byGroup, set_role: false };
    expect(upstreamLoginFor(upstream, person(['analyst', 'dba']))).toEqual({ ok: true, login: { user: 'app_dba', password: 'dba-pw' } });
    expect(upstreamLoginFor(upstream, person(['analyst']))).toEqual({ ok: true, login: { user: 'app_ro' } });
  });

  it('uses the listener default when no group matches', () => {
    const upstream = { user: 'app', password: 'app-pw', by_group: byGroup, set_role: false };
    expect(upstreamLoginFor(upstream, person(['sales']))).toEqual({ ok: true, login: { user: 'app', password: 'app-pw' } });
  });

  it('refuses an identity that matches nothing when there is no default user', () => {
    const result = upstreamLoginFor({ by_group: byGroup, set_role: false }, person(['sales']));
    expect(result).toEqual({ ok: false, reason: 'identity "alice" (groups sales) matches no upstream.by_group entry and the listener has no upstream.user' });
  });

  it('keeps the old pass-through for static users on a listener with no mapping at all, never for tokens', () => {
    expect(upstreamLoginFor({ password: 'pw', by_group: [], set_role: false }, person([], 'password'))).toEqual({ ok: true, login: { user: 'alice', password: 'pw' } });
    expect(upstreamLoginFor({ by_group: [], set_role: false }, person([]))).toMatchObject({ ok: false });
  });

  it('with set_role logs in as the listener user and switches to the mapped role', () => {
    const upstream = { user: 'gateway', password: 'gw-pw', by_group: byGroup, set_role: true };
    expect(upstreamLoginFor(upstream, person(['dba']))).toEqual({ ok: true, login: { user: 'gateway', password: 'gw-pw', role: 'app_dba' } });
    expect(upstreamLoginFor(upstream, person(['sales']))).toMatchObject({ ok: false, reason: expect.stringContaining('SET ROLE') });
  });
});
