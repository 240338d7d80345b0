// What a column's type allows a masked value to look like, from the type name any driver reports.
//
// PostgreSQL names (text, jsonb, _text…), MySQL names (VAR_STRING, BLOB, JSON…) and TDS names
// (NVARCHAR, NTEXT, XML…) are all listed; an unknown type is treated as text, so it is scanned.

/**
 * - text: any string is valid, values are scanned for sensitive substrings
 * - json: the masked text must stay valid JSON
 * - array: a PostgreSQL array literal, `{a,b}`
 * - number: only digits (a `card_number bigint`)
 * - date / timestamp: a valid date (a `date_of_birth date`)
 * - inet: a valid IP address (an `ip inet`)
 * - opaque: types that hold no text (bool, uuid, bytea, floats, times): never scanned
 */
export type TypeClass = 'text' | 'json' | 'array' | 'number' | 'date' | 'timestamp' | 'inet' | 'opaque';

const BY_NAME: Readonly<Record<string, TypeClass>> = {
  // PostgreSQL
  text: 'text', varchar: 'text', bpchar: 'text', char: 'text', name: 'text', citext: 'text', unknown: 'text',
  xml: 'text', 'character varying': 'text', character: 'text', tsvector: 'text',
  json: 'json', jsonb: 'json',
  int2: 'number', int4: 'number', int8: 'number', numeric: 'number', smallint: 'number', integer: 'number',
  bigint: 'number', decimal: 'number', oid: 'opaque',
  date: 'date', timestamp: 'timestamp', timestamptz: 'timestamp',
  inet: 'inet', cidr: 'inet',
  bool: 'opaque', boolean: 'opaque', uuid: 'opaque', bytea: 'opaque', float4: 'opaque', float8: 'opaque',
  real: 'opaque', 'double precision': 'opaque', time: 'opaque', timetz: 'opaque', interval: 'opaque',
  money: 'opaque', bit: 'opaque', varbit: 'opaque', macaddr: 'opaque', macaddr8: 'opaque', point: 'opaque',
  line: 'opaque', lseg: 'opaque', box: 'opaque', path: 'opaque', polygon: 'opaque', circle: 'opaque',
  regclass: 'opaque', regtype: 'opaque', regproc: 'opaque', xid: 'opaque', tid: 'opaque', cid: 'opaque',
  pg_lsn: 'opaque', int4range: 'opaque', int8range: 'opaque', numrange: 'opaque', daterange: 'opaque',
  tsrange: 'opaque', tstzrange: 'opaque',
  // MySQL / MariaDB column types (text columns are reported as the BLOB family or VAR_STRING)
  var_string: 'text', string: 'text', enum: 'text', set: 'text', blob: 'text', tiny_blob: 'text',
  medium_blob: 'text', long_blob: 'text', tinytext: 'text', mediumtext: 'text', longtext: 'text',
  tiny: 'number', short: 'number', long: 'number', longlong: 'number', int24: 'number', newdecimal: 'number',
  year: 'number', newdate: 'date', datetime: 'timestamp', datetime2: 'timestamp',
  float: 'opaque', double: 'opaque', geometry: 'opaque', null: 'opaque',
  // SQL Server (TDS)
  nvarchar: 'text', nchar: 'text', ntext: 'text', sql_variant: 'text', sysname: 'text',
  int: 'number', tinyint: 'number', intn: 'number', decimaln: 'number', numericn: 'number',
  smalldatetime: 'timestamp', datetimeoffset: 'timestamp', datetimn: 'timestamp', daten: 'date',
  uniqueidentifier: 'opaque', guid: 'opaque', varbinary: 'opaque', binary: 'opaque', image: 'opaque',
  smallmoney: 'opaque', bitn: 'opaque', floatn: 'opaque', moneyn: 'opaque', timen: 'opaque',
};

/**
 * Built-in PostgreSQL type OIDs (pg_type.dat), for drivers that report a type as its OID. These ids are
 * fixed for every PostgreSQL version; user-defined types get OIDs above 16383 and stay unknown.
 */
const POSTGRES_OIDS: Readonly<Record<string, string>> = {
  16: 'bool', 17: 'bytea', 18: 'char', 19: 'name', 20: 'int8', 21: 'int2', 23: 'int4', 24: 'regproc',
  25: 'text', 26: 'oid', 27: 'tid', 28: 'xid', 29: 'cid', 114: 'json', 142: 'xml', 600: 'point',
  601: 'lseg', 602: 'path', 603: 'box', 604: 'polygon', 628: 'line', 650: 'cidr', 700: 'float4',
  701: 'float8', 705: 'unknown', 718: 'circle', 774: 'macaddr8', 790: 'money', 829: 'macaddr', 869: 'inet',
  1042: 'bpchar', 1043: 'varchar', 1082: 'date', 1083: 'time', 1114: 'timestamp', 1184: 'timestamptz',
  1186: 'interval', 1266: 'timetz', 1560: 'bit', 1562: 'varbit', 1700: 'numeric', 2205: 'regclass',
  2206: 'regtype', 2950: 'uuid', 3220: 'pg_lsn', 3614: 'tsvector', 3802: 'jsonb', 3904: 'int4range',
  3906: 'numrange', 3908: 'tsrange', 3910: 'tstzrange', 3912: 'daterange', 3926: 'int8range',
  // arrays
  143: '_xml', 199: '_json', 651: '_cidr', 1000: '_bool', 1001: '_bytea', 1002: '_char', 1003: '_name',
  1005: '_int2', 1007: '_int4', 1009: '_text', 1014: '_bpchar', 1015: '_varchar', 1016: '_int8',
  1021: '_float4', 1022: '_float8', 1041: '_inet', 1115: '_timestamp', 1182: '_date', 1183: '_time',
  1185: '_timestamptz', 1231: '_numeric', 2951: '_uuid', 3807: '_jsonb',
};

const cache = new Map<string, TypeClass>();

/** The type name a driver reported, with a PostgreSQL OID turned into its name. */
export function typeName(type: string, dialect: string): string {
  if (dialect === 'postgres' && /^\d+$/.test(type)) return POSTGRES_OIDS[type] ?? type;
  return type;
}

export function classifyColumnType(type: string, dialect: string): TypeClass {
  const key = `${dialect}\u0000${type}`;
  let found = cache.get(key);
  if (found === undefined) {
    found = computeClass(typeName(type, dialect).trim().toLowerCase());
    if (cache.size < 10_000) cache.set(key, found);
  }
  return found;
}

function computeClass(name: string): TypeClass {
  const direct = BY_NAME[name.replace(/\(.*\)$/, '')];
  if (direct) return direct;
  // PostgreSQL arrays: `_text`, `text[]`. An array of non-text elements is as opaque as its elements.
  const element = name.startsWith('_') ? name.slice(1) : name.endsWith('[]') ? name.slice(0, -2) : undefined;
  if (element !== undefined) {
    const inner = computeClass(element);
    return inner === 'text' || inner === 'json' || inner === 'inet' ? 'array' : 'opaque';
  }
  // Unknown: a domain, an enum, an extension's type, or a type id no table knows. Scanning is the safe side.
  return 'text';
}
