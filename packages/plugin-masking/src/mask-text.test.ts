// maskText on server messages: constraint details name their columns; named values and free text are scanned.
import { describe, expect, it } from 'vitest';
import { maskText } from './mask-text.js';

describe('maskText', () => {
  it('masks the value of a unique-violation detail by the column it names', () => {
    expect(maskText('Key (email)=(ann@example.com) already exists.')).toBe('Key (email)=(****@example.com) already exists.');
    expect(maskText('Key (tenant_id, phone)=(5, 0171 5550123) already exists.')).toBe('Key (tenant_id, phone)=(5, **** ***0123) already exists.');
    expect(maskText('Key (password)=(hunter2) already exists.')).toBe('Key (password)=(********) already exists.');
  });

  it('leaves a detail about innocent columns alone', () => {
    expect(maskText('Key (id)=(42) already exists.')).toBe('Key (id)=(42) already exists.');
  });

  it('masks values named in name=value form and anything a recognizer finds', () => {
    expect(maskText('login failed: password=hunter2 user=ann')).toBe('login failed: password=******** user=ann');
    expect(maskText('Failing row contains (1, Ann, ann@example.com, 123-45-6789).')).toBe(
      'Failing row contains (1, Ann, ****@example.com, ***-**-6789).',
    );
  });

  it('takes strategies and a hash key, and never returns NULL for a message', () => {
    expect(maskText('mail ann@example.com', { strategies: { email: 'null' } })).toBe('mail ********');
    const hashed = maskText('mail ann@example.com', { strategies: { email: 'hash' }, hashKey: 'k'.repeat(32) });
    expect(hashed).toMatch(/^mail [0-9a-f]{16}@hashed\.invalid$/);
  });
});
