// Redact, partial and keyed-hash masks per type, and masks that stay valid for their column's type.
import { isIPv4, isIPv6 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { luhnValid } from '../recognizers/card.js';
import { isValidSsn } from '../recognizers/ssn.js';
import { isValidIban } from '../recognizers/iban.js';
import { createHashKey } from './keyed-hash.js';
import { hashText, keepYear, partialText, REDACTED } from './text-masks.js';
import { maskTextValue, maskTypedValue } from './whole-value.js';

const key = createHashKey('test-key-0123456789abcdef');
const otherKey = createHashKey('another-key-0123456789abcdef');

describe('partial masks', () => {
  it.each([
    ['email', 'ann.lee@example.com', '****@example.com'],
    ['card', '4111 1111 1111 1111', '**** **** **** 1111'],
    ['card', '4111111111111111', '************1111'],
    ['phone', '+1 (415) 555-2671', '+* (***) ***-2671'],
    ['ssn', '123-45-6789', '***-**-6789'],
    ['iban', 'DE89 3704 0044 0532 0130 00', 'DE** **** **** **** **30 00'],
    ['ip', '203.0.113.7', '203.0.113.0'],
    ['ip', '2001:db8:85a3::8a2e:370:7334', '2001:db8:85a3::'],
    ['ip', '10.1.2.3/16', '10.1.2.0/16'],
    ['dob', '1987-06-15', '1987-01-01'],
    ['dob', '15.06.1987', '01.01.1987'],
    ['dob', '06/15/1987', '01/01/1987'],
    ['dob', '1987-06-15 10:20:30+02', '1987-01-01 00:00:00+00'],
    ['password', 'hunter2', REDACTED],
    ['secret', 'abc', REDACTED],
  ] as const)('%s %s → %s', (type, value, expected) => {
    expect(partialText(value, type)).toBe(expected);
  });

  it.each([
    ['email', 'not an email'],
    ['card', '1234'],
    ['phone', 'ask reception'],
    ['ssn', '12-34'],
    ['ip', 'unknown'],
    ['dob', 'sometime in spring'],
  ] as const)('redacts a %s value that does not look like one (%j)', (type, value) => {
    expect(partialText(value, type)).toBe(REDACTED);
  });
});

describe('keyed hash', () => {
  it('gives the same token for the same input, a different one for another input or key', () => {
    const a = hashText('ann@example.com', 'email', key);
    expect(hashText('ann@example.com', 'email', key)).toBe(a);
    expect(hashText('bob@example.com', 'email', key)).not.toBe(a);
    expect(hashText('ann@example.com', 'email', otherKey)).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{16}@hashed\.invalid$/);
  });

  it('normalizes emails by case and card numbers by separators, so the forms join', () => {
    expect(hashText('ANN@EXAMPLE.COM', 'email', key)).toBe(hashText('ann@example.com', 'email', key));
    const spaced = hashText('4111 1111 1111 1111', 'card', key);
    const plain = hashText('4111111111111111', 'card', key);
    expect(spaced.replace(/ /g, '')).toBe(plain);
  });

  it('never produces a valid card number, SSN or IBAN', () => {
    for (let i = 0; i < 200; i++) {
      const card = hashText(`4111111111${String(100000 + i)}`, 'card', key);
      expect(card).toMatch(/^\d{16}$/);
      expect(luhnValid(card)).toBe(false);
      const ssn = hashText(`123-45-${String(1000 + i)}`, 'ssn', key);
      const [area, group, serial] = ssn.split('-');
      expect(isValidSsn(area!, group!, serial!)).toBe(false);
      expect(isValidIban(hashText(`DE8937040044053201${String(1000 + i)}`, 'iban', key))).toBe(false);
    }
  });

  it('keeps an IP address an IP address and a date a date', () => {
    expect(isIPv4(hashText('203.0.113.7', 'ip', key))).toBe(true);
    expect(isIPv6(hashText('2001:db8::1', 'ip', key))).toBe(true);
    expect(hashText('1987-06-15', 'dob', key)).toMatch(/^(19[3-9]\d|200\d)-\d{2}-\d{2}$/);
  });
});

describe('masks valid for the column type', () => {
  it('numbers stay digits', () => {
    expect(maskTypedValue('4111111111111111', 'card', 'partial', 'number', key)).toBe('1111');
    expect(maskTypedValue('4111111111111111', 'card', 'redact', 'number', key)).toBe('0');
    expect(maskTypedValue('4111111111111111', 'card', 'hash', 'number', key)).toMatch(/^[1-9]\d{15}$/);
  });

  it('dates stay dates: the year is kept, or a fixed date', () => {
    expect(maskTypedValue('1987-06-15', 'dob', 'partial', 'date', key)).toBe('1987-01-01');
    expect(maskTypedValue('1987-06-15', 'dob', 'redact', 'date', key)).toBe('1900-01-01');
    expect(maskTypedValue('1987-06-15 08:00:00+02', 'dob', 'partial', 'timestamp', key)).toBe('1987-01-01 00:00:00+00');
    expect(maskTypedValue('infinity', 'dob', 'partial', 'date', key)).toBe('1900-01-01');
  });

  it('inet values stay addresses', () => {
    expect(maskTypedValue('203.0.113.7', 'ip', 'redact', 'inet', key)).toBe('0.0.0.0');
    expect(maskTypedValue('2001:db8::1/64', 'ip', 'redact', 'inet', key)).toBe('::/64');
    expect(maskTypedValue('203.0.113.7/32', 'ip', 'partial', 'inet', key)).toBe('203.0.113.0/32');
  });

  it('null is SQL NULL; hash without a key falls back to the fixed mask', () => {
    expect(maskTextValue('ann@example.com', 'email', 'null', key)).toBeNull();
    expect(maskTextValue('ann@example.com', 'email', 'hash', undefined)).toBe(REDACTED);
  });

  it('keepYear writes a replacement date in the value’s own format', () => {
    expect(keepYear('15.06.1987', new Date(Date.UTC(1950, 2, 9)))).toBe('09.03.1950');
  });
});
