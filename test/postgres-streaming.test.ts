// Large results stream through Sluice with flat memory, however slowly the client reads.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import QueryStream from 'pg-query-stream';
import { afterAll, expect, it } from 'vitest';
import { CLI, startProcess } from './helpers/processes.js';

/** Size of the result; 256 MB in the suite, `SLUICE_STREAM_MB=1024` for the full 1 GB run. */
const MEGABYTES = Number(process.env.SLUICE_STREAM_MB ?? 256);
const ROW_BYTES = 1000;
const ROWS = Math.round((MEGABYTES * 1024 * 1024) / ROW_BYTES);

const dir = mkdtempSync(join(tmpdir(), 'sluice-stream-'));
const config = join(dir, 'sluice.yaml');
writeFileSync(
  config,
  `listeners:
  - name: pg
    dialect: postgres
    listen: 127.0.0.1:0
    upstream: { host: 127.0.0.1, port: 5432, user: postgres, database: postgres, tls: disable }
identity:
  users: [ { name: alice, password: streaming-pw } ]
plugins:
  - use: ${join(process.cwd(), 'test/fixtures/plugins/deny-drop.js')}
`,
);

const sluice = startProcess('node', [CLI, 'start', '-c', config], /"address":"127\.0\.0\.1:(\d+)","msg":"listening"/);
afterAll(() => {
  sluice.child.kill('SIGKILL');
});

function rssMegabytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

it(`streams a ${MEGABYTES} MB result to a slow reader with flat proxy memory`, async () => {
  const port = Number(/:(\d+)/.exec(await sluice.started)![1]);
  const pid = sluice.child.pid!;
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'alice', password: 'streaming-pw', database: 'postgres' });
  await client.connect();
  await client.query('select 1');
  const baseline = rssMegabytes(pid);
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMegabytes(pid));
  }, 50);

  let rows = 0;
  const stream = client.query(new QueryStream(`select g, repeat('x', ${ROW_BYTES - 12}) as pad from generate_series(1, ${ROWS}) g`, [], { batchSize: 1000 }));
  await pipeline(
    stream,
    new Writable({
      objectMode: true,
      highWaterMark: 16,
      write(row: { g: number }, _encoding, done) {
        rows++;
        // The first tenth is read slowly: the proxy must hold the server back, not buffer.
        if (rows < ROWS / 10 && rows % 2000 === 0) setTimeout(done, 20);
        else done();
      },
    }),
  );
  clearInterval(sampler);
  await client.end();
  expect(rows).toBe(ROWS);
  const growth = peak - baseline;
  console.log(`proxy RSS: baseline ${baseline.toFixed(0)} MB, peak ${peak.toFixed(0)} MB, growth ${growth.toFixed(1)} MB for ${MEGABYTES} MB streamed`);
  expect(growth).toBeLessThan(50);
}, 180_000);
