// Result columns name their table as `schema.table` for plugins, looked up once on a side connection.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalog } from '../packages/driver-postgres/src/table-names.js';
import { postgresListener, startSluice, USERS, type RunningSluice } from './helpers/sluice.js';

const SCHEMA = `table_names_${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'sluice-table-names-'));
const pluginFile = join(dir, 'columns.js');
writeFileSync(
  pluginFile,
  `export default () => ({
  name: 'columns',
  onResultSet(session, query, resultSet) {
    (globalThis.tableNamesSeen ??= []).push(resultSet.columns.map((c) => c.table ?? null));
    return { columns: [] };
  },
  onRow() { return undefined; },
});
`,
);
const seen = () => (globalThis as { tableNamesSeen?: (string | null)[][] }).tableNamesSeen ?? [];

let proxy: RunningSluice;
const direct = () => new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });

beforeAll(async () => {
  const client = direct();
  await client.connect();
  await client.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}; create table ${SCHEMA}.people (id int, email text); insert into ${SCHEMA}.people values (1, 'a@b.co'); create table ${SCHEMA}.pets (id int, name text)`);
  await client.end();
  proxy = await startSluice(`${postgresListener()}${USERS}
plugins:
  - use: ${pluginFile}
`);
});

afterAll(async () => {
  await proxy?.stop();
  const client = direct();
  await client.connect();
  await client.query(`drop schema if exists ${SCHEMA} cascade`);
  await client.end();
});

describe('table names in result columns', () => {
  it('gives schema.table for table columns and nothing for expressions, in both protocols', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'alice', password: 'alice-secret-pw', database: 'postgres' });
    await client.connect();
    await client.query(`select p.id, p.email, t.name, 1 as n from ${SCHEMA}.people p left join ${SCHEMA}.pets t on t.id = p.id`);
    await client.query({ text: `select email from ${SCHEMA}.people where id = $1`, values: [1] });
    await client.end();
    expect(seen()).toEqual([
      [`${SCHEMA}.people`, `${SCHEMA}.people`, `${SCHEMA}.pets`, null],
      [`${SCHEMA}.people`],
    ]);
  });

  it('shows OIDs for a while when the catalog cannot be reached, without stalling', async () => {
    const catalog = new Catalog({ host: '127.0.0.1', port: 1, user: 'postgres', tls: 'disable', connectTimeoutMs: 1_000 });
    const error = await catalog.lookup([1259]);
    expect(error?.message).toMatch(/cannot connect to 127\.0\.0\.1:1/);
    expect(catalog.name(1259)).toBeUndefined();
    expect(catalog.missing([1259])).toEqual([]);
  });
});
