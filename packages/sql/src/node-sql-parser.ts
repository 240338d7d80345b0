// Loads one node-sql-parser grammar (MySQL, MariaDB or TransactSQL) once and wraps it as a TreeReader.
import type { TreeReader } from './token-analysis.js';

interface NodeSqlParser {
  astify(sql: string, options?: { database?: string }): unknown;
}
interface NodeSqlBuild {
  Parser: new () => NodeSqlParser;
}

const BUILDS = {
  MySQL: () => import('node-sql-parser/build/mysql.js'),
  MariaDB: () => import('node-sql-parser/build/mariadb.js'),
  TransactSQL: () => import('node-sql-parser/build/transactsql.js'),
} as const;

export type NodeSqlDatabase = keyof typeof BUILDS;

const loaded = new Map<NodeSqlDatabase, Promise<TreeReader>>();

/** Each grammar is a separate bundle of node-sql-parser, so only the dialects in use are loaded. */
export function loadTreeReader(database: NodeSqlDatabase): Promise<TreeReader> {
  let reader = loaded.get(database);
  if (!reader) {
    reader = BUILDS[database]().then((module) => {
      const build = ((module as { default?: NodeSqlBuild }).default ?? module) as unknown as NodeSqlBuild;
      const parser = new build.Parser();
      return (sql: string) => {
        try {
          const tree = parser.astify(sql, { database });
          return Array.isArray(tree) ? tree : [tree];
        } catch {
          return undefined;
        }
      };
    });
    loaded.set(database, reader);
    reader.catch(() => loaded.delete(database));
  }
  return reader;
}
