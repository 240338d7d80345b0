// One pgbench run: TPS from its report, p50/p99 from its per-transaction log, and the CPU pgbench itself used.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './processes.mjs';
import { percentile } from './stats.mjs';

/**
 * Runs pgbench against host:port and returns { tps, p50Ms, p99Ms, transactions, failed, pgbenchCpuSeconds }.
 * `script`: 'select-only' (-S) or 'tpcb' (the default script); `protocol`: simple | prepared.
 * Always -n: the suite vacuums directly, so a proxy that denies VACUUM/TRUNCATE is measured the same way.
 */
export async function runPgbench({ port, user, password, database, script, protocol, clients, seconds, workDir }) {
  const logDir = mkdtempSync(join(workDir, 'pgbench-'));
  const threads = Math.min(clients, 2);
  const args = [
    '-h', '127.0.0.1', '-p', String(port), '-U', user, '-n', '-T', String(seconds), '-c', String(clients), '-j', String(threads),
    '-M', protocol, ...(script === 'select-only' ? ['-S'] : []), '-l', `--log-prefix=${join(logDir, 'tx')}`, database,
  ];
  // `times` prints the CPU the shell's children (pgbench) used: pgbench shares the machine's two cores with what it measures.
  const shell = 'pgbench "$@"; status=$?; times; exit $status';
  const { stdout, stderr, code } = await run('bash', ['-c', shell, 'pgbench', ...args], { env: password ? { PGPASSWORD: password } : { PGPASSWORD: '' }, allowFailure: true });
  try {
    const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1] ?? NaN);
    const processed = Number(/number of transactions actually processed: (\d+)/.exec(stdout)?.[1] ?? 0);
    const failed = Number(/number of failed transactions: (\d+)/.exec(stdout)?.[1] ?? 0);
    if (code === 0 && !Number.isFinite(tps)) {
      const connecting = /initial connection time = ([\d.]+) ms/.exec(stdout)?.[1];
      return { error: `no transaction finished within -T ${seconds}${connecting ? ` (logins took ${Math.round(connecting)} ms)` : ''}`, tps: NaN };
    }
    if (code !== 0 || !Number.isFinite(tps)) {
      const lines = `${stderr}\n${stdout}`.split('\n').map((line) => line.trim()).filter(Boolean);
      const reason = lines.find((line) => /error|FATAL|abort/i.test(line)) || `pgbench exited with ${code}`;
      return { error: reason.slice(0, 300), tps: Number.isFinite(tps) ? tps : NaN };
    }
    const latencies = readLatencies(logDir);
    latencies.sort();
    const childTimes = stdout.trim().split('\n').at(-1).split(/\s+/).map(parseShellTime);
    return {
      tps,
      transactions: processed,
      failed,
      p50Ms: percentile(latencies, 50) / 1000,
      p99Ms: percentile(latencies, 99) / 1000,
      pgbenchCpuSeconds: childTimes[0] + childTimes[1],
    };
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
}

/** Transaction latencies in µs from pgbench's log files: `client tx latency_us script epoch us`. */
function readLatencies(logDir) {
  const chunks = [];
  let total = 0;
  for (const file of readdirSync(logDir)) {
    const text = readFileSync(join(logDir, file), 'latin1');
    const values = new Float64Array(text.length / 10 + 16);
    let count = 0;
    let lineStart = 0;
    while (lineStart < text.length) {
      let lineEnd = text.indexOf('\n', lineStart);
      if (lineEnd === -1) lineEnd = text.length;
      // Third field: skip two spaces.
      const first = text.indexOf(' ', lineStart);
      const second = text.indexOf(' ', first + 1);
      const third = text.indexOf(' ', second + 1);
      if (first > 0 && third > second && third < lineEnd) {
        const field = text.slice(second + 1, third);
        if (field !== 'skipped' && field !== 'failed') values[count++] = Number(field);
      }
      lineStart = lineEnd + 1;
    }
    chunks.push(values.subarray(0, count));
    total += count;
  }
  const all = new Float64Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}

function parseShellTime(text) {
  const match = /^(\d+)m([\d.]+)s$/.exec(text ?? '');
  return match ? Number(match[1]) * 60 + Number(match[2]) : NaN;
}
