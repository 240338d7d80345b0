// The fast-path FunctionCall ('F'): decoded, and named when it is one of the large-object functions clients call this way.

/** Built-in functions by OID (fixed in PostgreSQL's catalog): the large-object API libpq, pgjdbc and psycopg2 call by fast path. */
const LARGE_OBJECT_FUNCTIONS: ReadonlyMap<number, string> = new Map([
  [715, 'lo_create'], [952, 'lo_open'], [953, 'lo_close'], [954, 'loread'], [955, 'lowrite'], [956, 'lo_lseek'],
  [957, 'lo_creat'], [958, 'lo_tell'], [964, 'lo_unlink'], [1004, 'lo_truncate'], [3170, 'lo_lseek64'],
  [3171, 'lo_tell64'], [3172, 'lo_truncate64'],
]);

export interface FunctionCall {
  readonly functionOid: number;
  /** The function's name when it is a known large-object function; other functions are refused. */
  readonly name?: string;
  readonly args: readonly (string | Uint8Array | null)[];
}

export function decodeFunctionCall(body: Buffer): FunctionCall | undefined {
  try {
    let offset = 0;
    const int16 = () => {
      const value = body.readInt16BE(offset);
      offset += 2;
      return value;
    };
    const functionOid = body.readUInt32BE(offset);
    offset += 4;
    const formats = Array.from({ length: Math.max(0, int16()) }, int16);
    const count = int16();
    if (count < 0) return undefined;
    const args: (string | Uint8Array | null)[] = [];
    for (let i = 0; i < count; i++) {
      const length = body.readInt32BE(offset);
      offset += 4;
      if (length === -1) {
        args.push(null);
        continue;
      }
      if (length < 0 || offset + length > body.length) return undefined;
      const binary = (formats.length === 1 ? formats[0] : formats[i]) === 1;
      const value = body.subarray(offset, offset + length);
      args.push(binary ? Uint8Array.prototype.slice.call(value) : value.toString('utf8'));
      offset += length;
    }
    int16(); // result format
    if (offset !== body.length) return undefined;
    const name = LARGE_OBJECT_FUNCTIONS.get(functionOid);
    return name === undefined ? { functionOid, args } : { functionOid, name, args };
  } catch {
    return undefined;
  }
}

/** The call as SQL plugins can judge, e.g. `select pg_catalog.lo_open($1, $2)`. */
export function functionCallSql(call: FunctionCall & { name: string }): string {
  return `select pg_catalog.${call.name}(${call.args.map((_, i) => `$${i + 1}`).join(', ')})`;
}
