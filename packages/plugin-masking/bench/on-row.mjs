// Micro-benchmark: masking's cost per row (onRow) and per result set (onResultSet). Run by hand, after a build:
//   node packages/plugin-masking/bench/on-row.mjs
import { createMaskingPlugin } from '../dist/index.js';

const ROWS = 200_000;
const ROUNDS = 5;

const columns = [
  { name: 'id', type: 'int4', table: '16384' },
  { name: 'name', type: 'text', table: '16384' },
  { name: 'email', type: 'text', table: '16384' },
  { name: 'phone', type: 'varchar', table: '16384' },
  { name: 'notes', type: 'text', table: '16384' },
  { name: 'created_at', type: 'timestamptz', table: '16384' },
];

function row(i) {
  return [
    String(i),
    `Customer ${i}`,
    `customer${i}@example.com`,
    `+1 (415) 555-${String(1000 + (i % 9000))}`,
    i % 2 === 0 ? `Called on 2024-01-15, prefers mail to customer${i}@example.org` : 'No notes yet, follow up next week',
    '2024-01-15 10:00:00+00',
  ];
}

function session() {
  return {
    id: 's-bench',
    identity: { subject: 'bench', name: 'bench', groups: ['analyst'], auth: 'password' },
    client: { address: '127.0.0.1', port: 1 },
    listener: 'bench',
    dialect: 'postgres',
    startedAt: new Date(),
    state: {},
  };
}

function query() {
  return { sql: 'select …', dialect: 'postgres', via: 'simple', analysis: () => undefined, annotations: {} };
}

/** The values onRow sees: only the requested columns are decoded, the rest are undefined. */
function prepared(interest, count, make) {
  const wanted = new Set(interest.columns);
  return Array.from({ length: count }, (_, i) => ({ values: make(i).map((v, c) => (wanted.has(c) ? v : undefined)) }));
}

const only = process.argv[2];

function bench(label, options, make = row) {
  if (only && !label.includes(only)) return;
  const plugin = createMaskingPlugin(options);
  const s = session();
  const info = { index: 0, columns };
  const interest = plugin.onResultSet(s, query(), info);
  const rows = prepared(interest, 10_000, make);
  const perRound = [];
  for (let round = 0; round < ROUNDS + 1; round++) {
    const q = query();
    plugin.onResultSet(s, q, info);
    const start = process.hrtime.bigint();
    for (let i = 0; i < ROWS; i++) plugin.onRow(s, rows[i % rows.length], info);
    const ns = Number(process.hrtime.bigint() - start) / ROWS;
    if (round > 0) perRound.push(ns); // round 0 warms up the JIT
  }
  perRound.sort((a, b) => a - b);
  const median = perRound[Math.floor(perRound.length / 2)];
  const best = perRound[0];
  console.log(
    `${label.padEnd(58)} ${(median / 1000).toFixed(2).padStart(6)} µs/row median, ${(best / 1000).toFixed(2).padStart(6)} best  (${Math.round(1e9 / median).toLocaleString('en-US')} rows/s)`,
  );
}

function benchResultSet() {
  if (only && !'onResultSet'.includes(only)) return;
  const plugin = createMaskingPlugin({});
  const s = session();
  const count = 100_000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) plugin.onResultSet(s, query(), { index: 0, columns });
  const ns = Number(process.hrtime.bigint() - start) / count;
  console.log(`${'onResultSet, 6 columns (plan the result set)'.padEnd(58)} ${(ns / 1000).toFixed(2).padStart(6)} µs/result set`);
}

console.log(`node ${process.version}, ${ROWS.toLocaleString('en-US')} rows x ${ROUNDS} rounds, median\n`);
bench('zero config: 6 columns, 4 asked for, half the notes with PII', {});
bench('zero config: same columns, nothing sensitive in the values', {}, (i) => [
  String(i), `Customer ${i}`, null, null, 'No notes yet, follow up next week', '2024-01-15 10:00:00+00',
]);
bench('hash strategy for emails and phones', { strategies: { email: 'hash', phone: 'hash' }, hash_key: 'bench-key-0123456789abcdef' });
bench('detect: off, one column rule (email redacted)', { detect: 'off', rules: [{ column: 'email', strategy: 'redact' }] });
benchResultSet();
