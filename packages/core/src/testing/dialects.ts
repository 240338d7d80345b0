// What a client of each dialect receives when Sluice refuses something: the harness reports the same.
import type { Verdict } from '../pipeline.js';

/** An error as the client receives it: SQLSTATE (PostgreSQL) or error number (MySQL, SQL Server) and text. */
export interface ClientError {
  readonly code: string;
  /** MySQL's SQLSTATE beside its error number. */
  readonly sqlState?: string;
  readonly message: string;
}

type Denied = Extract<Verdict, { action: 'deny' }>;

export interface DialectProfile {
  readonly name: string;
  /** Database a session reports when the test names none. */
  readonly defaultDatabase: string;
  /** Column type a result set reports when the test names none. */
  readonly defaultColumnType: string;
  /** Whether the driver judges each statement of a multi-statement simple query on its own (one deny denies the string). */
  readonly splitsSimpleQueries: boolean;
  deniedStatement(verdict: Denied): ClientError;
  deniedConnection(verdict: Denied): ClientError;
  /** A row hook failed: the rest of the result is withheld and the statement ends with this error. */
  rowFailure(message: string): ClientError;
}

/** `sluice: <rule>: <reason>`, the text every driver sends for a denial (DESIGN.md, "Errors a client sees"). */
export function denialText(verdict: Denied): string {
  return `sluice: ${verdict.rule ?? verdict.plugin}: ${verdict.reason}`;
}

// PostgreSQL: the codes @sluice/driver-postgres sends (src/codes.ts, statement-relay.ts, session.ts).
const postgres: DialectProfile = {
  name: 'postgres',
  defaultDatabase: 'postgres',
  defaultColumnType: 'text',
  splitsSimpleQueries: true,
  deniedStatement: (verdict) => ({ code: '42501', message: denialText(verdict) }),
  deniedConnection: (verdict) => ({ code: '28000', message: denialText(verdict) }),
  rowFailure: (message) => ({ code: 'XX000', message }),
};

// MySQL: the codes @sluice/driver-mysql sends (src/constants.ts ErrorCode, command-relay.ts, session.ts).
const mysql: DialectProfile = {
  name: 'mysql',
  defaultDatabase: 'test',
  defaultColumnType: 'var_string',
  splitsSimpleQueries: true,
  deniedStatement: (verdict) => ({ code: '1142', sqlState: '42000', message: denialText(verdict) }),
  deniedConnection: (verdict) => ({ code: '1045', sqlState: '28000', message: denialText(verdict) }),
  rowFailure: (message) => ({ code: '1105', sqlState: 'HY000', message }),
};

// SQL Server: the numbers @sluice/driver-mssql sends (src/codes.ts ErrorNumber, statement-relay.ts,
// session.ts). A batch is judged whole: the driver does not split it into statements.
const mssql: DialectProfile = {
  name: 'mssql',
  defaultDatabase: 'master',
  defaultColumnType: 'nvarchar',
  splitsSimpleQueries: false,
  deniedStatement: (verdict) => ({ code: '229', message: denialText(verdict) }),
  deniedConnection: (verdict) => ({ code: '18456', message: denialText(verdict) }),
  rowFailure: (message) => ({ code: '50000', message }),
};

const PROFILES: ReadonlyMap<string, DialectProfile> = new Map([postgres, mysql, mssql].map((profile) => [profile.name, profile]));

export type HarnessDialect = 'postgres' | 'mysql' | 'mssql';

export function dialectProfile(dialect: string): DialectProfile {
  const profile = PROFILES.get(dialect);
  if (!profile) throw new TypeError(`unknown dialect ${JSON.stringify(dialect)}: expected postgres, mysql or mssql`);
  return profile;
}
