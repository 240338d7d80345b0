#!/usr/bin/env node
// The plugins' cost per statement without the network: pgbench -S statements driven through the real
// Pipeline and SessionRuntime exactly as the PostgreSQL relay calls them (newQuery, the split into
// statements, query, resultSet for its one column, result), with the real plugins (audit to a file in
// a temp directory, guardrails protect-prod, masking). CPU time per statement, or, run under
// callgrind, instructions per statement:
//
//   node bench/pipeline-cost.mjs [--configs ag,agm] [--statements 20000] [--sessions 8]
//   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p node bench/pipeline-cost.mjs --callgrind --statements 5000
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { SessionRuntime } from '@sluice/core';
import { createPluginHarness } from '@sluice/core/testing';

const { values } = parseArgs({
  options: {
    configs: { type: 'string', default: 'a,g,m,ag,agm' },
    statements: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '10000' },
    repeat: { type: 'string', default: '3' },
    callgrind: { type: 'boolean', default: false },
    protocol: { type: 'string', default: 'simple' },
    sessions: { type: 'string', default: '8' },
  },
});

const statements = Number(values.statements);
const warmup = Number(values.warmup);
const repeat = values.callgrind ? 1 : Number(values.repeat);
const dir = mkdtempSync(join(tmpdir(), 'sluice-pipeline-cost-'));

const PLUGINS = {
  a: { use: '@sluice/plugin-audit', with: { sinks: [{ type: 'file', path: join(dir, 'audit.jsonl') }] } },
  // Audit with an fsync per interval instead of per record (group commit): what the fsyncs cost.
  i: { use: '@sluice/plugin-audit', with: { sinks: [{ type: 'file', path: join(dir, 'audit-interval.jsonl'), fsync: 'interval' }] } },
  g: { use: '@sluice/plugin-guardrails', with: { presets: ['protect-prod'] } },
  m: { use: '@sluice/plugin-masking' },
};

/** The same aids every run (mulberry32). */
function generator(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COLUMNS = [{ name: 'abalance', table: 'public.pgbench_accounts', type: 'int4' }];

/** One statement as the relay handles it; `prepared` uses one text with a parameter, as an Execute does. */
async function statement(runtime, random) {
  const aid = 1 + Math.floor(random() * 1_000_000);
  const startedAt = performance.now();
  const query =
    values.protocol === 'prepared'
      ? runtime.newQuery('SELECT abalance FROM pgbench_accounts WHERE aid = $1;', 'execute', [String(aid)])
      : runtime.newQuery(`SELECT abalance FROM pgbench_accounts WHERE aid = ${aid};`, 'simple');
  // The relay asks for the split of a simple query before judging it.
  if (values.protocol !== 'prepared') query.analysis();
  const verdict = await (runtime.judge ? runtime.judge(query) : runtime.query(query));
  if (verdict.action !== 'allow') throw new Error(`denied: ${verdict.reason}`);
  const filter = runtime.resultSet(query, { index: 0, columns: COLUMNS });
  if (filter) filter.apply({ values: [String(aid % 5000)] });
  runtime.result(query, { rows: 1, bytes: 80, durationMs: performance.now() - startedAt, upstream: { firstByteMs: 0.1, lastByteMs: 0.1 }, decision: { action: 'allow' } });
}

/**
 * `count` statements over the sessions: each event-loop turn, every session runs one, as --sessions
 * clients whose answers arrive together would (the audit file sink writes between turns).
 */
async function run(runtimes, count, random) {
  for (let done = 0; done < count; ) {
    for (const runtime of runtimes) {
      if (done++ < count) await statement(runtime, random);
    }
    await new Promise(setImmediate);
  }
}

function instructionsSinceZero(label) {
  execFileSync('callgrind_control', ['-d', label, String(process.pid)], { stdio: 'ignore' });
  const out = dirname(process.env.CALLGRIND_OUT ?? '/tmp/x');
  const dumps = readdirSync(out).filter((file) => file.startsWith(`cg.${process.pid}.`) || file.startsWith(`callgrind.out.${process.pid}.`));
  dumps.sort((a, b) => Number(a.split('.').at(-1)) - Number(b.split('.').at(-1)));
  const text = readFileSync(join(out, dumps.at(-1)), 'utf8');
  return Number(/^summary: (\d+)/m.exec(text)?.[1] ?? /^totals: (\d+)/m.exec(text)?.[1]);
}

async function measure(key) {
  const harness = await createPluginHarness([...key].map((letter) => PLUGINS[letter]), { environment: 'prod', listener: 'pg-bench', sqlParsers: 'plugins' });
  try {
    const session = {
      id: `s-cost-${key}`,
      identity: { subject: 'bench', name: 'bench', groups: ['bench'], auth: 'password' },
      client: { address: '127.0.0.1', port: 40000, application: 'pgbench' },
      listener: 'pg-bench',
      dialect: 'postgres',
      environment: 'prod',
      database: 'sluice_bench',
      startedAt: new Date(),
      state: {},
    };
    const log = { debug() {}, info() {}, warn() {}, error() {}, child() { return log; } };
    const runtimes = [];
    for (let i = 0; i < Number(values.sessions); i++) {
      const runtime = new SessionRuntime({ ...session, id: `${session.id}-${i}`, client: { ...session.client, port: 40000 + i }, state: {} }, { current: harness.pipeline }, log, { ms: 0, onIdle() {} });
      await runtime.connect();
      runtimes.push(runtime);
    }
    const random = generator(7);
    await run(runtimes, warmup, random);
    const samples = [];
    for (let round = 0; round < repeat; round++) {
      if (values.callgrind) execFileSync('callgrind_control', ['-z', String(process.pid)], { stdio: 'ignore' });
      const before = process.cpuUsage();
      await run(runtimes, statements, random);
      const used = process.cpuUsage(before);
      const sample = { cpuUs: (used.user + used.system) / statements, systemUs: used.system / statements };
      if (values.callgrind) sample.instructions = instructionsSinceZero(`${key}-${round}`) / statements;
      samples.push(sample);
    }
    for (const runtime of runtimes) await runtime.end({ reason: 'client' });
    return samples;
  } finally {
    await harness.close();
  }
}

try {
  const lines = [];
  for (const key of values.configs.split(',')) {
    const samples = await measure(key);
    const cpu = samples.map((s) => s.cpuUs).sort((a, b) => a - b);
    const instructions = samples[0].instructions;
    lines.push(
      `${key}: ${instructions === undefined ? '' : `${Math.round(instructions).toLocaleString('en')} instructions/statement, `}CPU µs/statement median ${cpu[Math.floor(cpu.length / 2)].toFixed(1)} (${cpu.map((v) => v.toFixed(1)).join(', ')}; system ${samples.map((s) => s.systemUs.toFixed(1)).join(', ')})`,
    );
    process.stderr.write(`${lines.at(-1)}\n`);
  }
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  process.stdout.write(`${values.protocol}, ${statements} statements per sample after ${warmup}; load average ${load}\n${lines.join('\n')}\n`);
} finally {
  if (process.env.KEEP_AUDIT) process.stderr.write(`audit trail kept in ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
}
