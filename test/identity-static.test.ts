// Static users whose passwords the config holds only as SCRAM-SHA-256 verifiers (no clear text anywhere).
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveScramSha256Verifier, formatScramSha256Verifier } from '@sluice/core';
import { startSluice, type RunningSluice } from './helpers/sluice.js';

const PASSWORD = 'verifier-only-pw';
const verifier = formatScramSha256Verifier(deriveScramSha256Verifier(PASSWORD));
let proxy: RunningSluice;

beforeAll(async () => {
  proxy = await startSluice(`
listeners:
  - name: pg
    dialect: postgres
    listen: 127.0.0.1:0
    upstream: { host: 127.0.0.1, port: 5432, user: postgres, database: postgres, tls: disable }
  - name: my
    dialect: mysql
    listen: 127.0.0.1:0
    upstream: { host: 127.0.0.1, port: 3306, user: root, tls: disable }
identity:
  users:
    - { name: carol, password: "${verifier}", groups: [dba] }
`);
});
afterAll(() => proxy?.stop());

const portOf = (name: string) => proxy.sluice.addresses().find((address) => address.name === name)!.port;

describe('a static user configured with a SCRAM-SHA-256 verifier', () => {
  it('signs in to PostgreSQL with the password, and not with another', async () => {
    const connect = (password: string) => new pg.Client({ host: '127.0.0.1', port: portOf('pg'), user: 'carol', password, database: 'postgres' });
    const client = connect(PASSWORD);
    await client.connect();
    expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    await client.end();
    await expect(connect('wrong').connect()).rejects.toMatchObject({ code: '28P01' });
  });

  it('signs in to MySQL with the password (RSA exchange), and not with another', async () => {
    const connect = (password: string) => mysql.createConnection({ host: '127.0.0.1', port: portOf('my'), user: 'carol', password });
    const connection = await connect(PASSWORD);
    expect((await connection.query('select 1 as one'))[0]).toEqual([{ one: 1 }]);
    await connection.end();
    await expect(connect('wrong')).rejects.toMatchObject({ errno: 1045 });
  });

  it('never writes the verifier or the password to the log', () => {
    expect(proxy.logText()).not.toContain(PASSWORD);
    expect(proxy.logText()).not.toContain(verifier.split('$')[2]!.split(':')[0]!);
  });
});
