#!/usr/bin/env node
// Profiles Sluice under pgbench (-S, 8 clients, simple protocol by default) with node --cpu-prof, per plugin configuration, and writes the hot spots with their packages/*/src locations.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { profileMarkdown, summarizeProfile } from './lib/cpuprofile.mjs';
import { login, streamQuery, terminate } from './lib/pg-wire.mjs';
import { runPgbench } from './lib/pgbench.mjs';
import { BENCH_DATABASE, existingPostgres, prepareDatabase, startPrivatePostgres } from './lib/postgres-server.mjs';
import { cpuSecondsOf, killAll } from './lib/processes.mjs';
import { coreMissing, REPO, sluiceConfigurations, startSluice } from './lib/sluice.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    clients: { type: 'string', default: '8' },
    protocol: { type: 'string', default: 'simple' },
    script: { type: 'string', default: 'select-only' },
    configs: { type: 'string', default: 'sluice,sluice-ag,sluice-agm' },
    pg: { type: 'string' },
    keep: { type: 'boolean', default: false },
    top: { type: 'string', default: '25' },
    workload: { type: 'string', default: 'pgbench' },
    rows: { type: 'string', default: '200000' },
  },
});

const say = (text) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${text}\n`);
const credentials = { user: 'bench', password: `bench-${Math.random().toString(36).slice(2, 12)}` };
const runDir = mkdtempSync(join(tmpdir(), 'sluice-profile-'));

async function main() {
  const missing = coreMissing();
  if (missing) throw new Error(missing);
  const server = values.pg ? existingPostgres(values.pg) : await startPrivatePostgres();
  const sections = [];
  try {
    await prepareDatabase(server, { scale: 10, peopleRows: values.workload === 'large' ? Number(values.rows) : 10_000 }, say);
    const wanted = new Set(values.configs.split(','));
    for (const configuration of sluiceConfigurations({ experiments: true }).filter((c) => wanted.has(c.key))) {
      if (configuration.skipped) {
        sections.push(`### ${configuration.label}\n\n${configuration.skipped}\n`);
        continue;
      }
      const profileDir = join(runDir, `profile-${configuration.key}`);
      mkdirSync(profileDir, { recursive: true });
      const spawnedAt = performance.now();
      const sluice = await startSluice({
        name: configuration.key,
        server,
        credentials,
        plugins: configuration.plugins,
        runDir,
        nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
      });
      // Warm the JIT (and libpg-query's wasm) first, so the profile shows the steady state.
      if (values.workload === 'large') await repeatLargeResult({ port: sluice.port, ...credentials }, Number(values.rows), 2);
      else await runPgbench({ port: sluice.port, ...credentials, database: BENCH_DATABASE, script: values.script, protocol: values.protocol, clients: Number(values.clients), seconds: 3, workDir: runDir });
      const cpuBefore = cpuSecondsOf(sluice.pid);
      // Only the pgbench run counts: startup (module loading, plugin setup) and shutdown are cut off.
      const pgbenchFrom = performance.now() - spawnedAt;
      const result =
        values.workload === 'large'
          ? await repeatLargeResult({ port: sluice.port, ...credentials }, Number(values.rows), Number(values.seconds))
          : await runPgbench({
              port: sluice.port,
              ...credentials,
              database: BENCH_DATABASE,
              script: values.script,
              protocol: values.protocol,
              clients: Number(values.clients),
              seconds: Number(values.seconds),
              workDir: runDir,
            });
      const cpu = cpuSecondsOf(sluice.pid) - cpuBefore;
      const pgbenchTo = performance.now() - spawnedAt;
      await sluice.stop(); // the profile is written when the process exits
      const files = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'));
      const headline = result.error
        ? `${values.workload} failed: ${result.error}`
        : values.workload === 'large'
          ? `${result.queries} × SELECT * FROM bench_people LIMIT ${values.rows}: ${Math.round(result.rowsPerSecond)} rows/s; Sluice used ${cpu.toFixed(1)} CPU s (${((cpu / result.rows) * 1e6).toFixed(2)} µs per row) under the profiler`
          : `pgbench ${values.script} ${values.protocol} c=${values.clients}: ${result.tps.toFixed(0)} TPS, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms; Sluice used ${cpu.toFixed(1)} CPU s (${((cpu / result.transactions) * 1e6).toFixed(0)} µs per transaction) under the profiler`;
      say(`${configuration.label}: ${headline}`);
      if (files.length === 0) {
        sections.push(`### ${configuration.label}\n\n${headline}\n\nNo profile was written (Sluice did not exit cleanly).\n`);
        continue;
      }
      const summary = summarizeProfile(join(profileDir, files[0]), REPO, Number(values.top), [pgbenchFrom + 500, pgbenchTo - 200]);
      sections.push(`${profileMarkdown(configuration.label, summary)}\n${headline}.\n${values.keep ? `\nProfile: ${join(profileDir, files[0])}\n` : ''}`);
    }
  } finally {
    await server.stop();
  }
  const stamp = new Date().toISOString().slice(0, 16).replace(':', '-');
  const workload =
    values.workload === 'large'
      ? `\`SELECT * FROM bench_people ORDER BY id LIMIT ${values.rows}\` repeated on one connection for ${values.seconds} s`
      : `pgbench ${values.script === 'select-only' ? '-S' : 'TPC-B'} --protocol ${values.protocol} -c ${values.clients} for ${values.seconds} s`;
  const markdown = `# Sluice CPU profiles, ${stamp.replace('T', ' ')} UTC\n\n\`node --cpu-prof\` on \`sluice start\`, ${workload}. Locations are mapped through the dist source maps to packages/*/src.\n\n${sections.join('\n')}`;
  const out = join(REPO, 'bench/results', `profile-${values.workload === 'large' ? 'large-' : ''}${stamp}.md`);
  mkdirSync(join(REPO, 'bench/results'), { recursive: true });
  writeFileSync(out, markdown);
  process.stdout.write(`\n${markdown}\n`);
  say(`written: ${out}`);
}

try {
  await main();
} catch (error) {
  say(`failed: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  killAll();
  if (!values.keep) rmSync(runDir, { recursive: true, force: true });
}

/** The large result, read as fast as possible, again and again for `seconds`. */
async function repeatLargeResult(target, rows, seconds) {
  const { socket } = await login({ host: '127.0.0.1', port: target.port, user: target.user, password: target.password, database: BENCH_DATABASE });
  const deadline = performance.now() + seconds * 1000;
  let total = 0;
  let queries = 0;
  const started = performance.now();
  try {
    while (performance.now() < deadline) {
      const result = await streamQuery(socket, `SELECT * FROM bench_people ORDER BY id LIMIT ${rows}`);
      if (result.error) return { error: result.error };
      total += result.rows;
      queries++;
    }
  } finally {
    terminate(socket);
  }
  return { rows: total, queries, rowsPerSecond: total / ((performance.now() - started) / 1000) };
}
