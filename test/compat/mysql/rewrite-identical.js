// Test plugin: asks for every column of every result and hands each value back unchanged, so the driver decodes and
// encodes every row again (text and binary protocol). A client must not be able to tell.
export default function createPlugin() {
  return {
    name: 'rewrite-identical',
    onResultSet() {
      return { columns: 'all' };
    },
    onRow(session, row) {
      return row.values.map((value) => value);
    },
  };
}
