// What masking costs on a large result: a 1M-row, 6-column SELECT direct, through Sluice without plugins and through
// Sluice with @sluice/plugin-masking (zero config), read by a raw-socket client that counts DataRows.
// Run by hand: `node bench/masking.mjs [--rows N] [--rounds N]`; prints rows/s per path and the ratios as Markdown.
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { login, streamQuery, terminate } from './lib/pg-wire.mjs';
import { BENCH_DATABASE, psql, startPrivatePostgres } from './lib/postgres-server.mjs';
import { killAll, run } from './lib/processes.mjs';
import { coreMissing, startSluice, unbuilt } from './lib/sluice.mjs';
import { median } from './lib/stats.mjs';

const { values: options } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '3' } } });
const ROWS = Number(options.rows);
const ROUNDS = Number(options.rounds);
const TABLE = 'bench_masking_people';
const COLUMNS = 'id int4, full_name text, email text, phone varchar, notes text, created_at timestamptz';
const QUERY = `SELECT id, full_name, email, phone, notes, created_at FROM ${TABLE}`;
const CREDENTIALS = { user: 'bench', password: `bench-${Math.random().toString(36).slice(2, 12)}` };
const say = (text) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${text}\n`);

const missing = coreMissing() ?? unbuilt('@sluice/plugin-masking');
if (missing) {
  process.stderr.write(`${missing}: run \`pnpm build\` first\n`);
  process.exit(1);
}

const runDir = mkdtempSync(join(tmpdir(), 'sluice-bench-masking-'));
const stops = [];
const cleanup = async () => {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  killAll();
  rmSync(runDir, { recursive: true, force: true });
};
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void cleanup().finally(() => process.exit(130)));

/** One full read of the result through a path: rows/s at the client. */
async function measure(target) {
  const { socket } = await login({ host: '127.0.0.1', port: target.port, user: target.user, password: target.password, database: BENCH_DATABASE });
  try {
    await streamQuery(socket, `${QUERY} LIMIT 1000`); // warms the path and the table's pages
    const result = await streamQuery(socket, QUERY);
    if (result.error) throw new Error(`${target.label}: ${result.error}`);
    if (result.rows !== ROWS) throw new Error(`${target.label}: ${result.rows} rows, expected ${ROWS}`);
    return { rowsPerSecond: result.rows / (result.ms / 1000), megabytesPerSecond: result.bytes / 1024 / 1024 / (result.ms / 1000) };
  } finally {
    terminate(socket);
  }
}

/** The masked path must really mask: one row read with psql through it, next to the same row read directly. */
async function checkMasking(direct, masked) {
  const sql = `SELECT email, phone, notes FROM ${TABLE} WHERE id = 2`;
  const read = (target) =>
    run('psql', ['-X', '-At', '-h', '127.0.0.1', '-p', String(target.port), '-U', target.user, '-d', BENCH_DATABASE, '-c', sql], { env: { PGPASSWORD: target.password ?? '' } });
  const [clear, seen] = await Promise.all([read(direct), read(masked)]);
  if (!clear.stdout.includes('person2@example.com') || seen.stdout.includes('person2@example.com')) {
    throw new Error(`masking is not in effect: direct ${JSON.stringify(clear.stdout)}, through Sluice ${JSON.stringify(seen.stdout)}`);
  }
  return { clear: clear.stdout.trim(), masked: seen.stdout.trim() };
}

try {
  const server = await startPrivatePostgres(createWriteStream(join(runDir, 'postgres.log')));
  stops.push(() => server.stop());
  say(`${server.describe}`);
  await psql(server, `CREATE DATABASE ${BENCH_DATABASE}`, 'postgres');
  say(`${TABLE}: ${ROWS} rows (${COLUMNS})`);
  // Half the notes hold an email, as in packages/plugin-masking/bench/on-row.mjs.
  await psql(server, [
    `CREATE TABLE ${TABLE} (${COLUMNS})`,
    `INSERT INTO ${TABLE}
       SELECT g, 'Person ' || g, 'person' || g || '@example.com', '+1 415 555 ' || lpad((g % 10000)::text, 4, '0'),
              CASE WHEN g % 2 = 0 THEN 'write to p' || g || '@example.org' ELSE 'order ' || g || ' shipped' END,
              '2024-01-01'::timestamptz + g * interval '1 minute'
       FROM generate_series(1, ${ROWS}) g`,
    `VACUUM ANALYZE ${TABLE}`,
  ]);

  const plain = await startSluice({ name: 'no-plugins', server, credentials: CREDENTIALS, plugins: [], runDir });
  stops.push(() => plain.stop());
  const masking = await startSluice({ name: 'masking', server, credentials: CREDENTIALS, plugins: ['masking'], runDir });
  stops.push(() => masking.stop());
  const paths = [
    { key: 'direct', label: 'direct', port: server.port, user: server.user },
    { key: 'plain', label: 'Sluice, no plugins', port: plain.port, ...CREDENTIALS },
    { key: 'masking', label: 'Sluice, masking (zero config)', port: masking.port, ...CREDENTIALS },
  ];
  const sample = await checkMasking(paths[0], paths[2]);
  say(`row 2 direct: ${sample.clear}`);
  say(`row 2 masked: ${sample.masked}`);

  const runs = Object.fromEntries(paths.map((path) => [path.key, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Rotated order from round to round, so drift of the machine hits every path.
    for (const path of paths.map((_, i) => paths[(i + round) % paths.length])) {
      const result = await measure(path);
      runs[path.key].push(result);
      say(`round ${round + 1}, ${path.label}: ${Math.round(result.rowsPerSecond)} rows/s`);
    }
  }

  const rate = (key) => median(runs[key].map((r) => r.rowsPerSecond));
  const lines = [
    `${ROWS} rows × 6 columns (\`${COLUMNS}\`), simple protocol, median of ${ROUNDS} rounds; masking asks for 4 columns (email, phone by name; full_name, notes scanned, half the notes holding an email).`,
    '',
    '| path | rows/s | MB/s | vs direct | vs Sluice without masking |',
    '|---|---:|---:|---:|---:|',
    ...paths.map(
      (path) =>
        `| ${path.label} | ${Math.round(rate(path.key)).toLocaleString('en-US')} | ${median(runs[path.key].map((r) => r.megabytesPerSecond)).toFixed(1)} | ${(rate(path.key) / rate('direct')).toFixed(2)}× | ${(rate(path.key) / rate('plain')).toFixed(2)}× |`,
    ),
  ];
  process.stdout.write(`\n${lines.join('\n')}\n`);
} catch (error) {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
