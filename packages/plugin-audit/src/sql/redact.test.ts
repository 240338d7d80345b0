// SQL redaction: secrets always, every literal on request.
import { describe, expect, it } from 'vitest';
import { redactSql } from './redact.js';

const redact = (sql: string, dialect = 'postgres', literals = false) => redactSql(sql, dialect, { literals });

describe('redactSql', () => {
  it('always hides passwords given in SQL', () => {
    expect(redact("ALTER ROLE app PASSWORD 'hunter2'").sql).toBe("ALTER ROLE app PASSWORD '[redacted]'");
    expect(redact("create user bob with encrypted password 'pw1'").sql).toBe("create user bob with encrypted password '[redacted]'");
    expect(redact("CREATE USER 'u'@'%' IDENTIFIED BY 'pw2'", 'mysql').sql).toBe("CREATE USER 'u'@'%' IDENTIFIED BY '[redacted]'");
    expect(redact("alter user u identified with mysql_native_password by 'pw3'", 'mysql').sql).toContain("by '[redacted]'");
    expect(redact("CREATE LOGIN l WITH PASSWORD = 'pw4'", 'mssql').sql).toBe("CREATE LOGIN l WITH PASSWORD = '[redacted]'");
    expect(redact("update users set password_hash = crypt('pw5', gen_salt('bf')) where id = 1").sql).not.toContain('pw5');
    expect(redact("insert into accounts (name, api_token) values ('ann', 'tok-1'), ('bo', 'tok-2')").sql).toBe(
      "insert into accounts (name, api_token) values ('ann', '[redacted]'), ('bo', '[redacted]')",
    );
  });

  it('hides passwords inside connection strings and URLs', () => {
    const { sql } = redact("select dblink_connect('host=db user=x password=s3cret'), 'postgres://u:pw@h/db'");
    expect(sql).not.toContain('s3cret');
    expect(sql).not.toContain(':pw@');
    expect(sql).toContain('password=[redacted]');
  });

  it('names the parameters in secret positions', () => {
    expect([...redact('update users set password = $2 where id = $1').secretParams]).toEqual([1]);
    expect([...redact('insert into users (name, password) values (?, ?)', 'mysql').secretParams]).toEqual([1]);
  });

  it('leaves ordinary literals alone unless literals are redacted', () => {
    const sql = "select * from customers where email = 'ann@example.com' and id > 10 -- ann";
    expect(redact(sql).sql).toBe(sql);
    expect(redact(sql, 'postgres', true).sql).toBe('select * from customers where email = ? and id > ? --');
  });
});
