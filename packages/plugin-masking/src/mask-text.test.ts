// maskText on server messages: constraint details name their columns; named values and free text are scanned.
import { describe, expect, it } from 'vitest';
import { maskText } from './mask-text.js';

describe('maskText', () => {
  it('masks the value of a unique-violation detail by the column it names', () => {
    expect(maskText('Key (email)=(ann@example.com) already exists.')).toBe('Key (email)=(****@example.com) already exists.');
    expect(maskText('Key (tenant_id, phone)=(5, 0171 5550123) already exists.')).toBe('Key (tenant_id, phone)=(5, **** ***0123) already exists.');
    expect(maskText('Key (password)=(hunter2) already exists.')).toBe('Key (password)=(********) already exists.');
  });

  it('masks the value of a MySQL duplicate-entry error by the column its key is named after', () => {
    expect(maskText("Duplicate entry '020 7946 0958' for key 'phone'")).toBe("Duplicate entry '*** **** 0958' for key 'phone'");
    expect(maskText("Duplicate entry 'hunter2' for key 'people.uq_password'")).toBe("Duplicate entry '********' for key 'people.uq_password'");
    expect(maskText("Duplicate entry 'ann@example.com' for key 'PRIMARY'")).toBe("Duplicate entry '****@example.com' for key 'PRIMARY'");
    expect(maskText("Duplicate entry '42' for key 'PRIMARY'")).toBe("Duplicate entry '42' for key 'PRIMARY'");
    expect(maskText("Duplicate entry 'x' for key 'email_verified'")).toBe("Duplicate entry 'x' for key 'email_verified'");
  });

  it('masks the value of a SQL Server duplicate-key error by the column its constraint or index is named after', () => {
    expect(maskText("Violation of UNIQUE KEY constraint 'UQ_people_phone'. Cannot insert duplicate key in object 'dbo.people'. The duplicate key value is (020 7946 0958).")).toBe(
      "Violation of UNIQUE KEY constraint 'UQ_people_phone'. Cannot insert duplicate key in object 'dbo.people'. The duplicate key value is (*** **** 0958).",
    );
    expect(maskText("Cannot insert duplicate key row in object 'dbo.people' with unique index 'IX_people_password'. The duplicate key value is (hunter2).")).toBe(
      "Cannot insert duplicate key row in object 'dbo.people' with unique index 'IX_people_password'. The duplicate key value is (********).",
    );
    expect(maskText("Violation of PRIMARY KEY constraint 'PK__people__3213E83F'. Cannot insert duplicate key in object 'dbo.people'. The duplicate key value is (7).")).toBe(
      "Violation of PRIMARY KEY constraint 'PK__people__3213E83F'. Cannot insert duplicate key in object 'dbo.people'. The duplicate key value is (7).",
    );
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
