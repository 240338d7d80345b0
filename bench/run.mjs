#!/usr/bin/env node
// The benchmark suite: Sluice against a direct connection and PgBouncer, all runs interleaved in one invocation; writes bench/results/<date>.md and .svg.
import { spawnSync, execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderChart } from './lib/chart.mjs';
import { idleConnections } from './lib/connections.mjs';
import { largeResult } from './lib/large-result.mjs';
import { readOptions, USAGE } from './lib/options.mjs';
import { pgbouncerMissing, startPgbouncer } from './lib/pgbouncer.mjs';
import { runPgbench } from './lib/pgbench.mjs';
import { BENCH_DATABASE, existingPostgres, prepareDatabase, startPrivatePostgres, vacuumPgbench } from './lib/postgres-server.mjs';
import { killAll, sleep, treeCpuSecondsOf } from './lib/processes.mjs';
import { renderMarkdown, updateReadme } from './lib/report.mjs';
import { coreMissing, REPO, sluiceConfigurations, startSluice, unbuilt } from './lib/sluice.mjs';
import { slowReader } from './lib/slow-reader.mjs';
import { MYSQL_UPSTREAM, prepareMysql, runSysbench, sysbenchMissing } from './lib/sysbench.mjs';

const options = readOptions(process.argv.slice(2));
if (options.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
ensureOpenFileLimit(options.connections * 2 + 1_000);

const CREDENTIALS = { user: 'bench', password: `bench-${Math.random().toString(36).slice(2, 12)}` };
const say = (text) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${text}\n`);
const runDir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
const cleanups = [];
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    say(`${signal}: stopping what the suite started`);
    void cleanup().finally(() => {
      rmSync(runDir, { recursive: true, force: true });
      process.exit(130);
    });
  });
}

let cleaning;
/** Stops everything the suite started, once, whether the run ended or was interrupted. */
function cleanup() {
  cleaning ??= (async () => {
    for (const stop of cleanups.splice(0).reverse()) await stop().catch(() => undefined);
    killAll();
  })();
  return cleaning;
}

/** Raises the soft open-file limit by re-running under `ulimit -n` when 2,000 connections need it. */
function ensureOpenFileLimit(needed) {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const [, soft, hard] = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(limits) ?? [];
  const softLimit = soft === 'unlimited' ? Infinity : Number(soft);
  if (softLimit >= needed || process.env.SLUICE_BENCH_ULIMIT) return;
  const target = hard === 'unlimited' ? needed : Math.min(needed, Number(hard));
  process.stdout.write(`open files: raising the soft limit from ${softLimit} to ${target}\n`);
  const result = spawnSync('bash', ['-c', `ulimit -n ${target} && exec "$0" "$@"`, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, SLUICE_BENCH_ULIMIT: '1' },
  });
  process.exit(result.status ?? 1);
}

function versionOf(command, args = ['--version']) {
  try {
    return execFileSync(command, args, { encoding: 'utf8' }).split('\n')[0].trim();
  } catch {
    return 'not installed';
  }
}

/** The paths a client can take: direct, PgBouncer, and each Sluice configuration. */
function pathTargets(server, bouncer, sluices, configurations) {
  const targets = [{ key: 'direct', label: 'direct', port: server.port, user: server.user, password: undefined, pid: undefined }];
  targets.push(bouncer.skipped ? { key: 'pgbouncer', label: 'PgBouncer (session)', skipped: bouncer.skipped } : { key: 'pgbouncer', label: 'PgBouncer (session)', port: bouncer.port, pid: bouncer.pid, ...CREDENTIALS });
  for (const configuration of configurations) {
    const running = sluices[configuration.key];
    targets.push(running ? { key: configuration.key, label: configuration.label, port: running.port, pid: running.pid, sluice: running, ...CREDENTIALS } : { key: configuration.key, label: configuration.label, skipped: configuration.skipped });
  }
  return targets;
}

/** Machine-wide CPU busy fraction between two /proc/stat readings. */
function cpuTotals() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3] + fields[4];
  return { idle, total: fields.reduce((a, b) => a + b, 0) };
}

/** Keeps the audit files of long runs from filling the disk; the hash chain does not matter here. */
function trimAudit(targets) {
  for (const target of targets) {
    if (!target.sluice) continue;
    for (const file of target.sluice.auditFiles) {
      try {
        if (statSync(file).size > 256 * 1024 * 1024) truncateSync(file, 0);
      } catch {
        /* no audit file */
      }
    }
  }
}

async function pgbenchPart(server, targets, results) {
  const scripts = ['select-only', 'tpcb'];
  const protocols = ['simple', 'prepared'];
  const cells = [];
  for (const script of scripts) for (const protocol of protocols) for (const clients of options.clients) cells.push({ script, protocol, clients, runs: {} });
  results.pgbench = cells;
  const live = targets.filter((t) => !t.skipped);
  // Warm-up: a fresh Node process runs its first seconds in the interpreter and baseline tiers (and
  // compiles libpg-query's wasm): unwarmed, the first cell measured JIT warm-up, not the proxy.
  for (const target of live) {
    if (target.key === 'direct' || interrupted) continue;
    for (const script of scripts) {
      await vacuumPgbench(server);
      await runPgbench({ ...target, database: BENCH_DATABASE, script, protocol: 'prepared', clients: 8, seconds: options.warmupSeconds, workDir: runDir });
      await runPgbench({ ...target, database: BENCH_DATABASE, script, protocol: 'simple', clients: 8, seconds: options.warmupSeconds, workDir: runDir });
    }
  }
  say(`warm-up done (${options.warmupSeconds} s × 4 per proxy)`);
  const total = options.rounds * cells.length * live.length;
  let done = 0;
  for (let round = 0; round < options.rounds; round++) {
    for (const [index, cell] of cells.entries()) {
      // Rotate the order so no path always runs first (right after a vacuum) or last.
      const shift = (round + index) % live.length;
      const ordered = [...live.slice(shift), ...live.slice(0, shift)];
      for (const target of ordered) {
        if (interrupted) return;
        if (cell.script === 'tpcb') await vacuumPgbench(server);
        const cpuBefore = target.pid ? treeCpuSecondsOf(target.pid) : NaN;
        const serverBefore = server.pid ? treeCpuSecondsOf(server.pid) : NaN;
        const machineBefore = cpuTotals();
        // 64 SCRAM logins take pgbench (libpq's PBKDF2) a second or two on this box: -T covers them on top of the measured time.
        const seconds = options.seconds + (cell.clients >= 32 ? 3 : 0);
        const result = await runPgbench({ ...target, database: BENCH_DATABASE, script: cell.script, protocol: cell.protocol, clients: cell.clients, seconds, workDir: runDir });
        const machineAfter = cpuTotals();
        result.proxyCpuSeconds = target.pid ? treeCpuSecondsOf(target.pid) - cpuBefore : NaN;
        await sleep(200); // let the server reap its backends, whose CPU then counts in the postmaster's children time
        result.serverCpuSeconds = server.pid ? treeCpuSecondsOf(server.pid) - serverBefore : NaN;
        result.machineBusy = 1 - (machineAfter.idle - machineBefore.idle) / (machineAfter.total - machineBefore.total);
        result.machineCores = ((machineAfter.total - machineBefore.total) - (machineAfter.idle - machineBefore.idle)) / (machineAfter.total - machineBefore.total) * cpus().length;
        result.seconds = seconds;
        (cell.runs[target.key] ??= []).push(result);
        done++;
        say(
          `pgbench ${done}/${total} ${cell.script} ${cell.protocol} c=${cell.clients} ${target.key}: ` +
            (result.error ? `ERROR ${result.error}` : `${result.tps.toFixed(0)} tps, p99 ${result.p99Ms.toFixed(2)} ms`),
        );
        trimAudit(targets);
      }
    }
  }
}

async function mysqlPart(sluices, configurations, results) {
  const missing = sysbenchMissing() ?? unbuilt('@sluice/driver-mysql');
  if (missing) {
    results.mysql = { skipped: `${missing}: the MySQL part (sysbench oltp_point_select, oltp_read_only) runs once it exists` };
    say(`mysql: skipped (${results.mysql.skipped})`);
    return;
  }
  await prepareMysql();
  const targets = [{ key: 'direct', label: 'direct', port: MYSQL_UPSTREAM.port, user: MYSQL_UPSTREAM.user }];
  for (const configuration of configurations) {
    const running = sluices[configuration.key];
    if (running?.mysqlPort) targets.push({ key: configuration.key, label: configuration.label, port: running.mysqlPort, pid: running.pid, ...CREDENTIALS });
    else targets.push({ key: configuration.key, label: configuration.label, skipped: configuration.skipped ?? 'no MySQL listener' });
  }
  const cells = [];
  for (const test of ['oltp_point_select', 'oltp_read_only']) for (const threads of options.clients) cells.push({ test, threads, runs: {} });
  results.mysql = { cells, targets: targets.map(({ key, label, skipped }) => ({ key, label, skipped })) };
  const live = targets.filter((t) => !t.skipped);
  for (let round = 0; round < options.rounds; round++) {
    for (const [index, cell] of cells.entries()) {
      const shift = (round + index) % live.length;
      for (const target of [...live.slice(shift), ...live.slice(0, shift)]) {
        if (interrupted) return;
        const cpuBefore = target.pid ? treeCpuSecondsOf(target.pid) : NaN;
        const result = await runSysbench({ ...target, test: cell.test, threads: cell.threads, seconds: options.seconds });
        result.proxyCpuSeconds = target.pid ? treeCpuSecondsOf(target.pid) - cpuBefore : NaN;
        result.seconds = options.seconds;
        (cell.runs[target.key] ??= []).push(result);
        say(`sysbench ${cell.test} t=${cell.threads} ${target.key}: ${result.error ? `ERROR ${result.error}` : `${result.tps.toFixed(0)} tps`}`);
      }
    }
  }
}

async function largePart(targets, results) {
  results.largeResult = { rows: options.largeRows, runs: {} };
  for (const target of targets) {
    if (target.skipped || interrupted) continue;
    try {
      results.largeResult.runs[target.key] = await largeResult(target, options.largeRows);
    } catch (error) {
      results.largeResult.runs[target.key] = { error: error.message };
    }
    const run = results.largeResult.runs[target.key];
    say(`large result ${target.key}: ${run.error ? `ERROR ${run.error}` : `${Math.round(run.rowsPerSecond)} rows/s`}`);
  }
}

/** Memory tests run on one process: without plugins and with all of them. */
const MEMORY_CONFIGURATIONS = ['sluice', 'sluice-agm'];

/** A fresh proxy per memory test, so one test's heap does not hide or inflate another's. */
async function withFreshSluice(server, configuration, name, use) {
  const sluice = await startSluice({ name, server, credentials: CREDENTIALS, plugins: configuration.plugins, runDir });
  try {
    return await use({ key: configuration.key, label: configuration.label, port: sluice.port, pid: sluice.pid, ...CREDENTIALS });
  } finally {
    await sluice.stop();
  }
}

async function connectionsPart(server, configurations, bouncerAvailable, results) {
  const settings = { count: options.connections, concurrency: options.connectionConcurrency, holdMs: options.holdMs };
  results.connections = { ...settings, runs: {} };
  const record = (key, label, run) => {
    results.connections.runs[key] = { label, ...run };
    say(`connections ${key}: ${run.error ? `ERROR ${run.error}` : `${run.opened}/${run.requested} open, connect p99 ${run.connectP99Ms?.toFixed(1)} ms, RSS ${(run.rssIdle / 2 ** 20).toFixed(0)} MB`}`);
  };
  for (const configuration of configurations.filter((c) => MEMORY_CONFIGURATIONS.includes(c.key))) {
    if (configuration.skipped || interrupted) continue;
    try {
      record(configuration.key, configuration.label, await withFreshSluice(server, configuration, `connections-${configuration.key}`, (target) => idleConnections(target, settings)));
    } catch (error) {
      record(configuration.key, configuration.label, { error: error.message });
    }
  }
  if (bouncerAvailable && !interrupted) {
    const bouncer = await startPgbouncer(server, CREDENTIALS);
    try {
      record('pgbouncer', 'PgBouncer (session)', await idleConnections({ port: bouncer.port, pid: bouncer.pid, ...CREDENTIALS }, settings));
    } catch (error) {
      record('pgbouncer', 'PgBouncer (session)', { error: error.message });
    } finally {
      await bouncer.stop();
    }
  }
}

async function slowPart(server, configurations, results) {
  results.slowReader = { megabytes: options.slowReader.megabytes, runs: [] };
  const speeds = [
    { name: 'full speed', bytesPerSecond: 0 },
    { name: `${options.slowReader.slowBytesPerSecond / 2 ** 20} MB/s`, bytesPerSecond: options.slowReader.slowBytesPerSecond },
  ];
  for (const configuration of configurations.filter((c) => MEMORY_CONFIGURATIONS.includes(c.key))) {
    if (configuration.skipped || interrupted) continue;
    for (const speed of speeds) {
      let run;
      try {
        run = await withFreshSluice(server, configuration, `slow-${configuration.key}-${speed.bytesPerSecond}`, (target) =>
          slowReader(target, { megabytes: options.slowReader.megabytes, bytesPerSecond: speed.bytesPerSecond }),
        );
      } catch (error) {
        run = { error: error.message };
      }
      results.slowReader.runs.push({ key: configuration.key, label: configuration.label, speed: speed.name, ...run });
      say(`slow reader ${configuration.key} ${speed.name}: ${run.error ? `ERROR ${run.error}` : `RSS +${(run.growth / 2 ** 20).toFixed(1)} MB over ${run.megabytes.toFixed(0)} MB`}`);
    }
  }
}

/** Build times of every package's dist: other people rebuild the workspace while the suite runs. */
function distStamps() {
  const root = join(REPO, 'packages');
  const stamps = {};
  for (const name of readdirSync(root)) {
    try {
      stamps[name] = Math.max(...readdirSync(join(root, name, 'dist')).map((file) => statSync(join(root, name, 'dist', file)).mtimeMs));
    } catch {
      /* not built */
    }
  }
  return stamps;
}

async function main() {
  const stampsBefore = distStamps();
  const missing = coreMissing();
  if (missing) throw new Error(missing);
  const started = new Date();
  const results = {
    startedAt: started.toISOString(),
    mode: options.mode,
    settings: { seconds: options.seconds, rounds: options.rounds, clients: options.clients, scale: options.scale },
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      node: process.version,
      pgbench: versionOf('pgbench'),
      pgbouncer: versionOf('/usr/sbin/pgbouncer', ['--version']),
      sysbench: versionOf('sysbench'),
      kernel: versionOf('uname', ['-r']),
    },
    notes: [],
    loadAverage: { start: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') },
  };
  const serverLog = createWriteStream(join(runDir, 'postgres.log'));
  const server = options.pg ? existingPostgres(options.pg) : await startPrivatePostgres(serverLog);
  cleanups.push(() => server.stop());
  results.server = server.describe;
  say(`${server.describe}; work files in ${runDir}`);
  await prepareDatabase(server, { scale: options.scale, peopleRows: options.largeRows }, say);

  const configurations = sluiceConfigurations();
  for (const configuration of configurations) if (configuration.skipped) say(`${configuration.label}: ${configuration.skipped}`);
  const needsMysql = options.parts.has('mysql') && !unbuilt('@sluice/driver-mysql');
  const sluices = {};
  for (const configuration of configurations) {
    if (configuration.skipped) continue;
    const sluice = await startSluice({
      name: configuration.key,
      server,
      credentials: CREDENTIALS,
      plugins: configuration.plugins,
      runDir,
      workers: configuration.workers ?? 1,
      ...(needsMysql ? { mysql: { upstream: MYSQL_UPSTREAM } } : {}),
    });
    sluices[configuration.key] = sluice;
    cleanups.push(() => sluice.stop());
  }
  const bouncerMissing = pgbouncerMissing();
  const bouncer = bouncerMissing ? { skipped: `skipped: ${bouncerMissing}` } : await startPgbouncer(server, CREDENTIALS);
  if (!bouncerMissing) cleanups.push(() => bouncer.stop());
  const targets = pathTargets(server, bouncer, sluices, configurations);
  results.targets = targets.map(({ key, label, skipped }) => ({ key, label, ...(skipped ? { skipped } : {}) }));

  if (options.parts.has('pgbench')) await pgbenchPart(server, targets, results);
  if (options.parts.has('mysql')) await mysqlPart(sluices, configurations, results);
  if (options.parts.has('large')) await largePart(targets, results);
  for (const [key, sluice] of Object.entries(sluices)) {
    if (!sluice.isAlive()) results.notes.push(`${key} exited during the run: ${sluice.output().slice(-500)}`);
  }
  // The memory tests start their own proxies: stop the shared ones first.
  for (const stop of cleanups.splice(1).reverse()) await stop();
  if (options.parts.has('connections')) await connectionsPart(server, configurations, !bouncerMissing, results);
  if (options.parts.has('slow')) await slowPart(server, configurations, results);
  if (interrupted) return;
  results.finishedAt = new Date().toISOString();
  results.loadAverage.end = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const stampsAfter = distStamps();
  const rebuilt = Object.keys({ ...stampsBefore, ...stampsAfter }).filter((name) => stampsBefore[name] !== stampsAfter[name]);
  if (rebuilt.length) results.notes.push(`packages rebuilt while the suite ran (numbers may mix builds): ${rebuilt.join(', ')}`);

  const outDir = options.out ?? join(REPO, 'bench/results');
  mkdirSync(outDir, { recursive: true });
  const stamp = `${started.toISOString().slice(0, 16).replace(':', '-')}${options.mode === 'quick' ? '-quick' : ''}`;
  const chartName = `${stamp}.svg`;
  const markdown = renderMarkdown(results, chartName);
  writeFileSync(join(outDir, `${stamp}.md`), markdown);
  writeFileSync(join(outDir, chartName), renderChart(results));
  writeFileSync(join(outDir, `${stamp}.json`), JSON.stringify(results));
  if (!options.out) updateReadme(join(REPO, 'bench/README.md'), markdown, `results/${stamp}.md`, `results/${chartName}`);
  process.stdout.write(`\n${markdown}\n`);
  say(`results: ${join(outDir, `${stamp}.md`)} and ${chartName}`);
}

try {
  await main();
} catch (error) {
  say(`failed: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanup();
  if (process.exitCode !== 1) rmSync(runDir, { recursive: true, force: true });
}
