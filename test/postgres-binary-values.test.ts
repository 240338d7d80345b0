// Binary-format values against the server itself: every codec reads what PostgreSQL's send function
// writes as the text PostgreSQL prints, and writes that text back as the same bytes.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBinaryText, encodeBinaryText } from '../packages/driver-postgres/src/binary-text.js';
import type { ColumnDescription } from '../packages/driver-postgres/src/results.js';

const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });

beforeAll(async () => {
  await client.connect();
  await client.query("set timezone = 'UTC'; set datestyle = 'ISO, MDY'");
});
afterAll(() => client.end());

const cases: [type: string, literal: string][] = [
  ['bool', 'true'], ['bool', 'false'],
  ['int2', '-32768'], ['int4', '2147483647'], ['int8', '-9223372036854775808'], ['oid', '4294967295'],
  ['float4', '1.5'], ['float4', '-0.1'], ['float4', '3.4028235e38'], ['float4', 'NaN'],
  ['float8', '0.1'], ['float8', '-1e-300'], ['float8', '-Infinity'], ['float8', '123456789.125'],
  ['numeric', '0'], ['numeric', '0.0001'], ['numeric', '-12345.678900'], ['numeric', '123456789012345678901234567890.5'],
  ['numeric', '10000'], ['numeric', '1e-10'], ['numeric', 'NaN'], ['numeric', 'Infinity'], ['numeric', '-0.00'], ['numeric', '4111111111111111'],
  ['date', '2024-02-29'], ['date', '4713-01-01 BC'], ['date', '0001-01-01'], ['date', 'infinity'], ['date', '1970-01-01'],
  ['time', '13:45:06.5'], ['time', '00:00:00'], ['time', '24:00:00'],
  ['timetz', '13:45:06+05:30'], ['timetz', '01:02:03-08'],
  ['timestamp', '2024-02-29 13:45:06.123456'], ['timestamp', '1999-12-31 23:59:59'], ['timestamp', '0044-03-15 12:00:00 BC'], ['timestamp', '-infinity'],
  ['timestamptz', '2024-02-29 13:45:06.123456+02'], ['timestamptz', '1969-07-20 20:17:40Z'],
  ['uuid', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
  ['bytea', '\\xdeadbeef'], ['bytea', '\\x'],
  ['inet', '192.168.0.1'], ['inet', '10.0.0.0/8'], ['inet', '::1'], ['inet', '2001:db8::ff00:42:8329'], ['inet', '::ffff:1.2.3.4'], ['inet', '::1.2.3.4'],
  ['cidr', '2001:db8::/32'], ['cidr', '10.1.0.0/16'],
  ['macaddr', '08:00:2b:01:02:03'],
  ['text', 'ann.lee@example.com'], ['varchar', 'héllo wörld ✓'], ['bpchar', 'ab  '], ['name', 'pg_class'], ['"char"', 'x'],
  ['json', '{"email": "a@b.co"}'], ['jsonb', '{"a": [1, 2], "email": "a@b.co"}'], ['xml', '<a>b</a>'],
  ['text[]', '{a,"b c",NULL,"","NULL","x\\"y","back\\\\slash"}'], ['varchar[]', '{ann@example.com,bob@example.org}'],
  ['int4[]', '{{1,2},{3,4}}'], ['int4[]', '[0:1]={1,2}'], ['text[]', '{}'], ['uuid[]', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,NULL}'],
  ['numeric[]', '{1.5,-2,NaN}'], ['timestamptz[]', '{"2024-01-01 00:00:00+00"}'], ['bool[]', '{t,f}'],
];

/** The column as the relay sees it for a binary-format result of this type. */
async function columnOf(type: string): Promise<ColumnDescription> {
  const { rows } = await client.query<{ name: string; oid: number }>(`select t.typname as name, t.oid::int as oid from pg_type t where t.oid = '${type}'::regtype`);
  return { name: 'v', type: rows[0]!.name, typeOid: rows[0]!.oid, tableOid: 0, columnNumber: 0, format: 1 };
}

/** What the server's output function prints for the value, and what its send function writes. */
async function serverForms(type: string, literal: string): Promise<{ text: string; bytes: Buffer }> {
  const fns = (await client.query<{ out: string; send: string }>(`select typoutput::text as out, typsend::text as send from pg_type where oid = '${type}'::regtype`)).rows[0]!;
  const { rows } = await client.query<{ text: string; bytes: Buffer }>(`select ${fns.out}(v)::text as text, ${fns.send}(v) as bytes from (select $1::${type} as v) s`, [literal]);
  return rows[0]!;
}

/** How the server reads bytes Sluice wrote (a Buffer parameter goes in binary format), printed by its output function. */
async function serverReads(type: string, bytes: Buffer): Promise<string> {
  const out = (await client.query<{ out: string }>(`select typoutput::text as out from pg_type where oid = '${type}'::regtype`)).rows[0]!.out;
  return (await client.query<{ text: string }>(`select ${out}($1::${type})::text as text`, [bytes])).rows[0]!.text;
}

describe('binary values, as the server reads and writes them', () => {
  it.each(cases)('%s %s', async (type, literal) => {
    const column = await columnOf(type);
    const { text, bytes } = await serverForms(type, literal);
    const decoded = decodeBinaryText(column, bytes);
    if (column.type.startsWith('float')) {
      expect(Number(decoded)).toEqual(Number(text));
    } else {
      expect(decoded).toBe(text);
    }
    expect(await serverReads(type, encodeBinaryText(column, text))).toBe(text);
  });

  it('writes replacement text the way the server would read it', async () => {
    for (const [type, replacement] of [['int8', '0000'], ['date', '1900-01-01'], ['timestamptz', '2000-01-01 00:00:00+00'], ['text[]', '{"***@example.com"}'], ['inet', '0.0.0.0']] as const) {
      const column = await columnOf(type);
      const { text } = await serverForms(type, replacement);
      expect(await serverReads(type, encodeBinaryText(column, replacement)), type).toBe(text);
    }
  });

  it('refuses a replacement that is no value of the type, without quoting it', async () => {
    const column = await columnOf('int4');
    expect(() => encodeBinaryText(column, 'ann@example.com')).toThrow('a int4 value is not an integer');
    const point = await columnOf('point');
    expect(() => encodeBinaryText(point, '(1,2)')).toThrow(/cannot be written in binary/);
  });

  it('reads malformed server bytes as no value rather than throwing', async () => {
    expect(decodeBinaryText(await columnOf('int4'), Buffer.from([1, 2]))).toBeUndefined();
    expect(decodeBinaryText(await columnOf('text[]'), Buffer.from([0, 0, 0, 1, 0, 0]))).toBeUndefined();
  });
});
