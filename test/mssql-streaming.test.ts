// A large SQL Server result streams through Sluice with flat proxy memory, however slowly tedious reads.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Request } from 'tedious';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CLI, startProcess } from './helpers/processes.js';
import { TdsTestServer } from './helpers/tds-test-server/index.js';
import { closeTedious, connectTedious } from './helpers/tedious-client.js';

/** Size of the result; 192 MB in the suite, `SLUICE_MSSQL_STREAM_MB=1024` for a longer run by hand. */
const MEGABYTES = Number(process.env.SLUICE_MSSQL_STREAM_MB ?? 192);
const ROW_BYTES = 1000; // 480 UTF-16 characters of padding plus the integer and the PLP framing
const ROWS = Math.round((MEGABYTES * 1024 * 1024) / ROW_BYTES);
const SCHEMA = 'mssql_streaming';
const UPSTREAM = { user: 'streaming_upstream', password: 'Streaming-Pw-1' };

let server: TdsTestServer;
let sluice: ReturnType<typeof startProcess>;
let port: number;

function rssMegabytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

beforeAll(async () => {
  const admin = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query(`drop schema if exists ${SCHEMA} cascade`);
  await admin.end();
  server = await TdsTestServer.start({ database: SCHEMA, users: { [UPSTREAM.user]: UPSTREAM.password } });
  const dir = mkdtempSync(join(tmpdir(), 'sluice-mssql-stream-'));
  const config = join(dir, 'sluice.yaml');
  writeFileSync(
    config,
    `listeners:
  - name: mssql
    dialect: mssql
    listen: 127.0.0.1:0
    upstream: { host: 127.0.0.1, port: ${server.port}, user: ${UPSTREAM.user}, password: ${UPSTREAM.password}, database: ${SCHEMA}, tls: disable }
identity:
  users: [ { name: alice, password: streaming-pw } ]
plugins:
  - use: ${join(process.cwd(), 'test/fixtures/plugins/deny-drop.js')}
`,
  );
  sluice = startProcess('node', [CLI, 'start', '-c', config], /"address":"127\.0\.0\.1:(\d+)","msg":"listening"/);
  port = Number(/:(\d+)/.exec(await sluice.started)![1]);
});

afterAll(async () => {
  sluice?.child.kill('SIGKILL');
  await server?.stop();
});

it(`streams a ${MEGABYTES} MB result to a slow tedious reader with flat proxy memory`, async () => {
  const pid = sluice.child.pid!;
  const connection = await connectTedious({ port, user: 'alice', password: 'streaming-pw' });
  const warmup = new Promise<void>((resolve, reject) => connection.execSqlBatch(new Request('select 1', (error) => (error ? reject(error) : resolve()))));
  await warmup;
  const baseline = rssMegabytes(pid);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMegabytes(pid))), 100);
  let rows = 0;
  let bytes = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const request = new Request(`select g, repeat('x', 480) as pad from generate_series(1, ${ROWS}) g`, (error) => (error ? reject(error) : resolve()));
      request.on('row', (columns: { value: unknown }[]) => {
        rows++;
        bytes += (columns[1]!.value as string).length * 2;
        // A slow reader: every 20 000 rows it stops reading for a while, so the proxy must hold back.
        if (rows % 20_000 === 0) {
          request.pause();
          setTimeout(() => request.resume(), 150);
        }
      });
      connection.execSqlBatch(request);
    });
  } finally {
    clearInterval(sampler);
    await closeTedious(connection);
  }
  expect(rows).toBe(ROWS);
  expect(bytes).toBe(ROWS * 960);
  const growth = peak - baseline;
  console.log(`proxy RSS: baseline ${baseline.toFixed(0)} MB, peak ${peak.toFixed(0)} MB, growth ${growth.toFixed(1)} MB for ${MEGABYTES} MB streamed`);
  // The proxy never holds the result: its memory grows by far less than the result's size.
  expect(growth).toBeLessThan(Math.min(96, MEGABYTES / 2));
}, 600_000);
