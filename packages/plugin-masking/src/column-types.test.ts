// Type classes from the type names (and PostgreSQL OIDs) drivers report.
import { describe, expect, it } from 'vitest';
import { classifyColumnType } from './column-types.js';

describe('classifyColumnType', () => {
  it.each([
    ['text', 'text'], ['varchar', 'text'], ['bpchar', 'text'], ['name', 'text'], ['citext', 'text'],
    ['json', 'json'], ['jsonb', 'json'], ['_text', 'array'], ['_varchar', 'array'], ['_jsonb', 'array'], ['text[]', 'array'],
    ['int4', 'number'], ['int8', 'number'], ['numeric', 'number'], ['date', 'date'], ['timestamptz', 'timestamp'],
    ['inet', 'inet'], ['bool', 'opaque'], ['uuid', 'opaque'], ['bytea', 'opaque'], ['float8', 'opaque'], ['_int4', 'opaque'],
    ['interval', 'opaque'],
  ])('PostgreSQL %s is %s', (type, expected) => {
    expect(classifyColumnType(type, 'postgres')).toBe(expected);
  });

  it.each([
    ['25', 'text'], ['1043', 'text'], ['3802', 'json'], ['114', 'json'], ['1009', 'array'], ['23', 'number'],
    ['1082', 'date'], ['1184', 'timestamp'], ['869', 'inet'], ['16', 'opaque'], ['2950', 'opaque'], ['17', 'opaque'],
  ])('PostgreSQL type OID %s is %s', (oid, expected) => {
    expect(classifyColumnType(oid, 'postgres')).toBe(expected);
  });

  it('treats a type it does not know (a domain, an enum, an extension type) as text, to be scanned', () => {
    expect(classifyColumnType('16422', 'postgres')).toBe('text');
    expect(classifyColumnType('email_domain', 'postgres')).toBe('text');
  });

  it.each([
    ['VAR_STRING', 'text'], ['STRING', 'text'], ['BLOB', 'text'], ['JSON', 'json'], ['LONGLONG', 'number'],
    ['NEWDECIMAL', 'number'], ['DATE', 'date'], ['DATETIME', 'timestamp'], ['TINY', 'number'], ['DOUBLE', 'opaque'],
  ])('MySQL %s is %s', (type, expected) => {
    expect(classifyColumnType(type, 'mysql')).toBe(expected);
  });

  it.each([
    ['NVARCHAR', 'text'], ['VARCHAR', 'text'], ['NTEXT', 'text'], ['XML', 'text'], ['INT', 'number'], ['BIGINT', 'number'],
    ['DATETIME2', 'timestamp'], ['UNIQUEIDENTIFIER', 'opaque'], ['VARBINARY', 'opaque'], ['BIT', 'opaque'], ['NVARCHAR(100)', 'text'],
  ])('SQL Server %s is %s', (type, expected) => {
    expect(classifyColumnType(type, 'mssql')).toBe(expected);
  });
});
