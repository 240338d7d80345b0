// The recorded text and fingerprint worked out once per shape are what redactSql and fingerprintSql give for each text.
import { describe, expect, it } from 'vitest';
import { auditedText } from './audited-text.js';
import { fingerprintSql } from './fingerprint.js';
import { tokenize } from './lexer.js';
import { redactSql } from './redact.js';

const SAMPLES: [string, string][] = [
  ['postgres', 'SELECT abalance FROM pgbench_accounts WHERE aid = 42;'],
  ['postgres', "ALTER ROLE app PASSWORD 'hunter2'"],
  ['postgres', "create user bob with encrypted password 'pw1'"],
  ['mysql', "CREATE USER 'u'@'%' IDENTIFIED BY 'pw2'"],
  ['mssql', "CREATE LOGIN l WITH PASSWORD = 'pw4'"],
  ['postgres', "update users set password_hash = crypt('pw5', gen_salt('bf')) where id = 1"],
  ['postgres', "insert into accounts (name, api_token) values ('ann', 'tok-1'), ('bo', 'tok-2')"],
  ['postgres', "insert into accounts ('name', 'password') values ('ann', 'tok-1')"],
  ['postgres', 'insert into accounts (name, 12password) values (1, 2)'],
  ['postgres', "select dblink_connect('host=db user=x password=s3cret'), 'postgres://u:pw@h/db'"],
  ['postgres', 'update users set password = $2 where id = $1'],
  ['mysql', 'insert into users (name, password) values (?, ?)'],
  ['postgres', "select * from customers where email = 'ann@example.com' and id > 10 -- ann"],
  ['postgres', "select $$it's$$, $tag$x$tag$, count(*) from t /* c */ where a in (1, 2, 3)"],
  ['mysql', 'select "a b", `col` from t where x = ? # note'],
  ['mssql', "select N'x', [my col] from t where y = 0x1F"],
  ['postgres', "select E'a', B'101', X'ff', U&'d' from t"],
];

const STRINGS = ["''", "'x'", "'password'", "'password=hunter2'", "'é — longer'", "'api_key'", "'postgres://u:pw@h/db'"];
const NUMBERS = ['0', '7', '1.5e3', '123456789', '12password', '0x1F'];

function variants(sql: string, dialect: string): string[] {
  const tokens = tokenize(sql, dialect).filter((token) => token.type === 'string' || token.type === 'number');
  const out: string[] = [];
  for (let round = 0; round < 7; round++) {
    let text = '';
    let at = 0;
    tokens.forEach((token, i) => {
      const pool = token.type === 'string' ? STRINGS : NUMBERS;
      text += sql.slice(at, token.start) + pool[(round + i) % pool.length]!;
      at = token.end;
    });
    out.push(text + sql.slice(at));
  }
  return out;
}

describe('auditedText', () => {
  it.each([false, true])('matches redactSql and fingerprintSql for every variant of every sample (literals redacted: %s)', (literals) => {
    for (const [dialect, sql] of SAMPLES) {
      for (const text of [sql, ...variants(sql, dialect), sql]) {
        const expected = redactSql(text, dialect, { literals });
        const got = auditedText(text, dialect, literals);
        expect({ sql: got.sql, fingerprint: got.fingerprint, params: [...got.secretParams] }, `${dialect}: ${text}`).toEqual({
          sql: expected.sql,
          fingerprint: fingerprintSql(text, dialect),
          params: [...expected.secretParams],
        });
      }
    }
  });

  it('never lets a cached shape keep a secret in the record', () => {
    auditedText("insert into t (name, note) values ('a', 'b')", 'postgres', false);
    expect(auditedText("insert into t (name, password) values ('a', 'b')", 'postgres', false).sql).toBe("insert into t (name, password) values ('a', '[redacted]')");
    auditedText("insert into t ('name', 'note') values ('a', 'b')", 'postgres', false);
    expect(auditedText("insert into t ('name', 'password') values ('a', 'b')", 'postgres', false).sql).toContain('[redacted]');
  });
});
