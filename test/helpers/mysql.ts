// MySQL-side helpers for end-to-end tests: a listener in front of the machine's MariaDB, and direct connections to it.
import mysql from 'mysql2/promise';

/** The machine's MariaDB: root without a password, database `test`. */
export const MARIADB = { host: '127.0.0.1', port: 3306, user: 'root', database: 'test' } as const;

/** A listener block in front of the machine's MariaDB. */
export function mysqlListener(options: { extra?: string; upstream?: string; name?: string } = {}): string {
  return `
listeners:
  - name: ${options.name ?? 'my-test'}
    dialect: mysql
    listen: 127.0.0.1:0
    environment: test
    upstream: ${options.upstream ?? '{ host: 127.0.0.1, port: 3306, user: root, database: test, tls: disable }'}
${options.extra ?? ''}`;
}

/** A direct mysql2 connection to MariaDB, for setting up and comparing. */
export function directConnection(extra: mysql.ConnectionOptions = {}): Promise<mysql.Connection> {
  return mysql.createConnection({ ...MARIADB, multipleStatements: true, ...extra });
}
