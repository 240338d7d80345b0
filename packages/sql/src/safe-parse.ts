// Wraps a dialect's analysis so that parse() never throws, whatever the input.
import type { SqlAnalysis } from '@sluice/core';

export function safeParse(dialect: string, analyze: (sql: string) => SqlAnalysis): (sql: string) => SqlAnalysis {
  return (sql: string): SqlAnalysis => {
    if (typeof sql !== 'string') return { statements: [], error: `${dialect}: SQL text is not a string` };
    try {
      return analyze(sql);
    } catch (error) {
      // A bug here must not take a session down; the statement then counts as unparseable.
      const reason = error instanceof Error ? error.message : String(error);
      return { statements: [], error: `${dialect}: analysis failed: ${reason}` };
    }
  };
}
