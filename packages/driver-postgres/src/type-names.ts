// Names of PostgreSQL's built-in types by OID, so plugins can reason about column types without a catalog lookup.

const BUILTIN_TYPES: ReadonlyMap<number, string> = new Map([
  [16, 'bool'], [17, 'bytea'], [18, 'char'], [19, 'name'], [20, 'int8'], [21, 'int2'], [23, 'int4'],
  [24, 'regproc'], [25, 'text'], [26, 'oid'], [27, 'tid'], [28, 'xid'], [29, 'cid'], [114, 'json'],
  [142, 'xml'], [143, '_xml'], [199, '_json'], [600, 'point'], [650, 'cidr'], [700, 'float4'],
  [701, 'float8'], [705, 'unknown'], [774, 'macaddr8'], [790, 'money'], [829, 'macaddr'], [869, 'inet'],
  [1000, '_bool'], [1001, '_bytea'], [1002, '_char'], [1003, '_name'], [1005, '_int2'], [1007, '_int4'],
  [1009, '_text'], [1014, '_bpchar'], [1015, '_varchar'], [1016, '_int8'], [1021, '_float4'],
  [1022, '_float8'], [1028, '_oid'], [1040, '_macaddr'], [1041, '_inet'], [1042, 'bpchar'],
  [1043, 'varchar'], [1082, 'date'], [1083, 'time'], [1114, 'timestamp'], [1115, '_timestamp'],
  [1182, '_date'], [1183, '_time'], [1184, 'timestamptz'], [1185, '_timestamptz'], [1186, 'interval'],
  [1187, '_interval'], [1231, '_numeric'], [1266, 'timetz'], [1270, '_timetz'], [1560, 'bit'],
  [1561, '_bit'], [1562, 'varbit'], [1563, '_varbit'], [1700, 'numeric'], [2249, 'record'],
  [2278, 'void'], [2287, '_record'], [2950, 'uuid'], [2951, '_uuid'], [3614, 'tsvector'],
  [3615, 'tsquery'], [3802, 'jsonb'], [3807, '_jsonb'], [4072, 'jsonpath'], [4073, '_jsonpath'],
]);

/** The built-in type's name, or the OID as digits for other types (domains, enums, extensions). */
export function typeName(oid: number): string {
  return BUILTIN_TYPES.get(oid) ?? String(oid);
}

const OIDS_BY_NAME: ReadonlyMap<string, number> = new Map([...BUILTIN_TYPES].map(([oid, name]) => [name, oid]));

/** The OID of a built-in type by name; undefined for other types. */
export function builtinTypeOid(name: string): number | undefined {
  return OIDS_BY_NAME.get(name);
}
