// Secrets in SQL shown to approvers: literal passwords and keys are hidden, everything else is left as written.
import { describe, expect, it } from 'vitest';
import { redactSecrets } from './redact.js';

describe('redactSecrets', () => {
  it.each([
    ["ALTER ROLE app PASSWORD 'hunter2'", "ALTER ROLE app PASSWORD '***'"],
    ["create user bob with password 'it''s secret' valid until 'infinity'", "create user bob with password '***' valid until 'infinity'"],
    ["CREATE USER 'bob'@'%' IDENTIFIED BY 'hunter2'", "CREATE USER 'bob'@'%' IDENTIFIED BY '***'"],
    ["ALTER USER bob IDENTIFIED WITH mysql_native_password BY 'x'", "ALTER USER bob IDENTIFIED WITH mysql_native_password BY '***'"],
    ["CREATE LOGIN bob WITH PASSWORD = N'Str0ng!'", "CREATE LOGIN bob WITH PASSWORD = '***'"],
    ["update users set password = 'x1' where id = 1", "update users set password = '***' where id = 1"],
    ["create server s options (secret $$abc$$)", "create server s options (secret '***')"],
  ])('%s', (sql, shown) => {
    expect(redactSecrets(sql)).toBe(shown);
  });

  it('leaves SQL without secrets alone', () => {
    const sql = "select name, 'password' as label from users where password_changed_at > now() - interval '1 day'";
    expect(redactSecrets(sql)).toBe(sql);
  });
});
