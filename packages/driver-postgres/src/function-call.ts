// The fast-path FunctionCall ('F'): decoded, and named when it is one of the large-object functions clients call this way.
import { decodeParameterValues } from './client-messages.js';

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
  if (body.length < 4) return undefined;
  const functionOid = body.readUInt32BE(0);
  const values = decodeParameterValues(body, 4);
  // Then the result format code, and nothing after it.
  if (!values || values.offset + 2 !== body.length) return undefined;
  const name = LARGE_OBJECT_FUNCTIONS.get(functionOid);
  return name === undefined ? { functionOid, args: values.parameters } : { functionOid, name, args: values.parameters };
}

/** The call as SQL plugins can judge, e.g. `select pg_catalog.lo_open($1, $2)`. */
export function functionCallSql(call: FunctionCall & { name: string }): string {
  return `select pg_catalog.${call.name}(${call.args.map((_, i) => `$${i + 1}`).join(', ')})`;
}
