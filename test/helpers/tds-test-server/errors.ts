// PostgreSQL errors and notices → SQL Server ERROR and INFO messages (numbers listed in README.md).
import type { ServerMessage } from './tokens.js';

/** SQLSTATE → the SQL Server error number a client would see for the same mistake. */
export const ERROR_NUMBERS: Readonly<Record<string, number>> = {
  '42601': 102, // syntax_error → Incorrect syntax near …
  '42P01': 208, // undefined_table → Invalid object name
  '42703': 207, // undefined_column → Invalid column name
  '42883': 2812, // undefined_function → Could not find stored procedure
  '42P07': 2714, // duplicate_table → There is already an object named …
  '42501': 229, // insufficient_privilege → permission denied
  '23505': 2627, // unique_violation → Violation of PRIMARY KEY/UNIQUE constraint
  '23503': 547, // foreign_key_violation → conflicted with the FOREIGN KEY constraint
  '23514': 547, // check_violation → conflicted with the CHECK constraint
  '23502': 515, // not_null_violation → Cannot insert the value NULL
  '22012': 8134, // division_by_zero → Divide by zero error encountered
  '22003': 8115, // numeric_value_out_of_range → Arithmetic overflow
  '22P02': 245, // invalid_text_representation → Conversion failed
  '22007': 241, // invalid_datetime_format → Conversion failed when converting date and/or time
  '22001': 2628, // string_data_right_truncation → String or binary data would be truncated
  '40001': 1205, // serialization_failure → deadlock victim
  '40P01': 1205, // deadlock_detected → deadlock victim
  '25P02': 3930, // in_failed_sql_transaction → The current transaction cannot be committed
  '57014': 3617, // query_canceled → cancelled by the client
  '3F000': 2760, // invalid_schema_name → The specified schema name does not exist
  '3D000': 4060, // invalid_catalog_name → Cannot open database
};

/** Any other SQLSTATE: SQL Server's number for a user-defined error. */
export const DEFAULT_ERROR_NUMBER = 50000;

export interface PgError {
  readonly code?: string;
  readonly message: string;
  readonly severity?: string;
}

export function serverErrorFor(error: PgError, procedure?: string): ServerMessage {
  const number = (error.code && ERROR_NUMBERS[error.code]) || DEFAULT_ERROR_NUMBER;
  const severity = error.code === '42501' ? 14 : error.severity === 'FATAL' || error.severity === 'PANIC' ? 20 : 16;
  return { number, state: 1, severity, message: error.message, ...(procedure ? { procedure } : {}) };
}

/** PostgreSQL notices become INFO tokens: NOTICE/INFO/LOG severity 0 (like PRINT), WARNING severity 10. */
export function infoFor(notice: PgError): ServerMessage {
  return { number: 0, state: 1, severity: notice.severity === 'WARNING' ? 10 : 0, message: notice.message };
}
