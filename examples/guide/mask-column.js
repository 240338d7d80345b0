// @ts-check
// mask-column: replaces the values of the named columns, in rows and in the server's messages that echo them.
import { definePlugin } from '@sluice/core';

export default definePlugin(
  /** @param {{ columns: string[] }} options */
  (options) => {
    const names = new Set(options.columns.map((name) => name.toLowerCase()));
    /** The positions this plugin asked for, per result set: onRow gets the same object onResultSet saw. */
    /** @type {WeakMap<import('@sluice/core').ResultSetInfo, number[]>} */
    const positions = new WeakMap();
    return {
      name: 'mask-column',
      onResultSet(_session, _query, resultSet) {
        const wanted = resultSet.columns.flatMap((column, i) => (names.has(column.name.toLowerCase()) ? [i] : []));
        if (wanted.length === 0) return undefined; // no onRow for this result: its rows pass as bytes
        positions.set(resultSet, wanted);
        return { columns: wanted }; // only these values are decoded
      },
      onRow(_session, row, resultSet) {
        /** @type {(string | null | undefined)[]} */
        const patch = [];
        // Touch only the positions asked for: other plugins' columns are decoded in the same row.
        for (const i of positions.get(resultSet) ?? []) if (row.values[i] !== null) patch[i] = '****';
        return patch; // undefined entries keep their value; null would write SQL NULL
      },
      onMessage(_session, message) {
        // PostgreSQL echoes values in errors: Key (email)=(ann@example.com) already exists.
        const detail = message.text.detail?.replace(/\(([^()]+)\)=\(([^()]*)\)/g, (all, column, _value) =>
          names.has(String(column).toLowerCase()) ? `(${column})=(****)` : all,
        );
        return detail === message.text.detail ? undefined : { detail };
      },
    };
  },
);
