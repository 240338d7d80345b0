// sysbench against MySQL/MariaDB: prepare the tables, run one test, read TPS and the latency histogram.
import { existsSync } from 'node:fs';
import { run } from './processes.mjs';

export const MYSQL_UPSTREAM = { host: '127.0.0.1', port: 3306, user: 'root' };
const DATABASE = 'sluice_bench';
const TABLE_OPTIONS = ['--tables=4', '--table-size=100000'];

export function sysbenchMissing() {
  return existsSync('/usr/bin/sysbench') ? undefined : 'sysbench is not installed (apt-get install sysbench)';
}

function connectionArgs({ port, user, password }) {
  return ['--db-driver=mysql', '--mysql-host=127.0.0.1', `--mysql-port=${port}`, `--mysql-user=${user}`, ...(password ? [`--mysql-password=${password}`] : []), `--mysql-db=${DATABASE}`];
}

/** Creates the sysbench tables once (directly on the server). */
export async function prepareMysql() {
  const { host, port, user } = MYSQL_UPSTREAM;
  const { stdout } = await run('mysql', ['-h', host, '-P', String(port), '-u', user, '-N', '-e', `CREATE DATABASE IF NOT EXISTS ${DATABASE}; SELECT count(*) FROM information_schema.tables WHERE table_schema = '${DATABASE}' AND table_name LIKE 'sbtest%'`]);
  if (Number(stdout.trim()) !== 4) {
    await run('mysql', ['-h', host, '-P', String(port), '-u', user, '-e', `DROP DATABASE IF EXISTS ${DATABASE}; CREATE DATABASE ${DATABASE}`]);
    await run('sysbench', ['oltp_read_only', ...connectionArgs(MYSQL_UPSTREAM), ...TABLE_OPTIONS, 'prepare']);
  }
}

/** One run: { tps, p50Ms, p99Ms } from sysbench's summary and its latency histogram. */
export async function runSysbench({ port, user, password, test, threads, seconds }) {
  const { stdout, stderr, code } = await run(
    'bash',
    ['-c', 'sysbench "$@"; status=$?; times; exit $status', 'sysbench', test, ...connectionArgs({ port, user, password }), ...TABLE_OPTIONS, `--threads=${threads}`, `--time=${seconds}`, '--histogram=on', '--percentile=99', 'run'],
    { allowFailure: true },
  );
  const tps = Number(/transactions:\s+\d+\s+\(([\d.]+) per sec\.\)/.exec(stdout)?.[1] ?? NaN);
  if (code !== 0 || !Number.isFinite(tps)) return { error: (stderr.trim().split('\n').at(-1) || `exit ${code}`).slice(0, 200) };
  // Histogram lines: "       0.081 |**********     1234" (latency in ms, count).
  const buckets = [...stdout.matchAll(/^\s*([\d.]+) \|\**\s+(\d+)$/gm)].map((m) => [Number(m[1]), Number(m[2])]);
  const times = stdout.trim().split('\n').at(-1).split(/\s+/).map((t) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t);
    return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
  });
  return { tps, p50Ms: histogramPercentile(buckets, 50), p99Ms: histogramPercentile(buckets, 99), pgbenchCpuSeconds: times[0] + times[1] };
}

/** Nearest-rank percentile over (value, count) buckets sorted by value. */
function histogramPercentile(buckets, p) {
  const total = buckets.reduce((sum, [, count]) => sum + count, 0);
  const rank = Math.ceil((p / 100) * total);
  let seen = 0;
  for (const [value, count] of buckets) {
    seen += count;
    if (seen >= rank) return value;
  }
  return NaN;
}
