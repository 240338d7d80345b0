// Column definitions (Protocol::ColumnDefinition41) and the type names plugins see.
import type { ColumnInfo } from '@sluice/core';
import { ColumnFlag, ColumnType } from './constants.js';
import { decodeOrUndefined, PayloadReader } from './payload.js';

export interface ColumnDefinition extends ColumnInfo {
  readonly typeId: number;
  readonly flags: number;
  readonly charset: number;
  readonly decimals: number;
}

/** The charset id of binary strings (BINARY, VARBINARY, BLOB). */
export const BINARY_CHARSET = 63;

const TYPE_NAMES: Readonly<Record<number, string>> = {
  [ColumnType.Decimal]: 'decimal',
  [ColumnType.Tiny]: 'tiny',
  [ColumnType.Short]: 'short',
  [ColumnType.Long]: 'long',
  [ColumnType.Float]: 'float',
  [ColumnType.Double]: 'double',
  [ColumnType.Null]: 'null',
  [ColumnType.Timestamp]: 'timestamp',
  [ColumnType.LongLong]: 'longlong',
  [ColumnType.Int24]: 'int24',
  [ColumnType.Date]: 'date',
  [ColumnType.Time]: 'time',
  [ColumnType.DateTime]: 'datetime',
  [ColumnType.Year]: 'year',
  [ColumnType.NewDate]: 'newdate',
  [ColumnType.VarChar]: 'varchar',
  [ColumnType.Bit]: 'bit',
  [ColumnType.Timestamp2]: 'timestamp2',
  [ColumnType.DateTime2]: 'datetime2',
  [ColumnType.Time2]: 'time2',
  [ColumnType.Json]: 'json',
  [ColumnType.NewDecimal]: 'newdecimal',
  [ColumnType.Enum]: 'enum',
  [ColumnType.Set]: 'set',
  [ColumnType.TinyBlob]: 'tiny_blob',
  [ColumnType.MediumBlob]: 'medium_blob',
  [ColumnType.LongBlob]: 'long_blob',
  [ColumnType.Blob]: 'blob',
  [ColumnType.VarString]: 'var_string',
  [ColumnType.String]: 'string',
  [ColumnType.Geometry]: 'geometry',
};

/** The MYSQL_TYPE_* name in lower case (`var_string`, `longlong`, `blob`…); unknown ids as `type_<id>`. */
export function typeName(typeId: number): string {
  return TYPE_NAMES[typeId] ?? `type_${typeId}`;
}

/** `extendedMetadata`: MariaDB's EXTENDED_METADATA is in force, adding a field after org_name. */
export function decodeColumnDefinition(payload: Buffer, extendedMetadata = false): ColumnDefinition | undefined {
  return decodeOrUndefined(() => {
    const reader = new PayloadReader(payload);
    reader.lenencBytes(); // catalog, always "def"
    const schema = reader.lenencString();
    const table = reader.lenencString();
    const orgTable = reader.lenencString();
    const name = reader.lenencString();
    reader.lenencBytes(); // org_name
    if (extendedMetadata) reader.lenencBytes(); // extended type info (format=json, …)
    const fixed = reader.lenencNumber();
    if (fixed < 0x0c) return undefined;
    const charset = reader.int2();
    reader.int4(); // column length
    const typeId = reader.int1();
    const flags = reader.int2();
    const decimals = reader.int1();
    // The source table: the real one (org_table), qualified by its schema; an alias when there is no real one.
    const source = orgTable || table;
    const qualified = source === '' ? undefined : schema === '' ? source : `${schema}.${source}`;
    return {
      name,
      ...(qualified === undefined ? {} : { table: qualified }),
      type: typeName(typeId),
      typeId,
      flags,
      charset,
      decimals,
    };
  });
}

export function isUnsigned(column: ColumnDefinition): boolean {
  return (column.flags & ColumnFlag.UNSIGNED) !== 0;
}
