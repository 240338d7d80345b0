import { describe, expect, it } from 'vitest';
import { formatPath } from './format-path.js';

describe('formatPath', () => {
  it('renders keys with dots and indexes in brackets', () => {
    expect(formatPath(['plugins', 2, 'with', 'rules', 0, 'action'])).toBe('plugins[2].with.rules[0].action');
    expect(formatPath(['listeners', 0, 'upstream', 'password'])).toBe('listeners[0].upstream.password');
  });

  it('quotes keys that are not plain words, and renders the empty path as nothing', () => {
    expect(formatPath(['masked', 'users.email'])).toBe('masked["users.email"]');
    expect(formatPath([0, 'a'])).toBe('[0].a');
    expect(formatPath([])).toBe('');
  });
});
