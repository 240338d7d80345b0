#!/usr/bin/env node
// What Sluice costs per statement on a fixed workload, measured so that the machine's load hardly
// matters: the proxy's CPU time from /proc, or (with --callgrind) the instructions it executes under
// valgrind. For before/after comparisons of one change on a busy shared box, where TPS is noise.
//
//   node bench/cost.mjs                               # CPU µs per statement, configs sluice,sluice-ag,sluice-agm
//   node bench/cost.mjs --callgrind --statements 3000 # instructions per statement (slow: valgrind)
//
// The workload is pgbench -S's: `SELECT abalance FROM pgbench_accounts WHERE aid = <random>;`, each
// of --clients connections sending its next statement when the previous one's ReadyForQuery came,
// with a new literal every time (simple protocol) or through one prepared statement (--protocol
// prepared: Bind, Describe, Execute, Sync per statement, as pgbench -M prepared does). The aids come
// from a seeded generator, so every run sends the same statements.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { login, terminate } from './lib/pg-wire.mjs';
import { BENCH_DATABASE, existingPostgres, prepareDatabase, startPrivatePostgres } from './lib/postgres-server.mjs';
import { cpuSecondsOf, killAll } from './lib/processes.mjs';
import { coreMissing, sluiceConfigurations, startSluice } from './lib/sluice.mjs';

const { values } = parseArgs({
  options: {
    configs: { type: 'string', default: 'sluice,sluice-ag,sluice-agm' },
    statements: { type: 'string' },
    warmup: { type: 'string' },
    clients: { type: 'string', default: '8' },
    protocol: { type: 'string', default: 'simple' },
    repeat: { type: 'string', default: '3' },
    callgrind: { type: 'boolean', default: false },
    pg: { type: 'string' },
    sql: { type: 'string' },
  },
});

const callgrind = values.callgrind;
const statements = Number(values.statements ?? (callgrind ? 3000 : 20000));
const warmup = Number(values.warmup ?? (callgrind ? 3000 : 10000));
const clients = Number(values.clients);
const repeat = callgrind ? 1 : Number(values.repeat);
const SCALE = 1;
const say = (text) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${text}\n`);
const credentials = { user: 'bench', password: `bench-${Math.random().toString(36).slice(2, 12)}` };
const runDir = mkdtempSync(join(tmpdir(), 'sluice-cost-'));

/** A small seeded generator (mulberry32): the same aids on every run. */
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

function frame(code, body) {
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = code.charCodeAt(0);
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}

const SQL = values.sql ?? 'SELECT abalance FROM pgbench_accounts WHERE aid = $1;';

function simpleStatement(aid) {
  return frame('Q', Buffer.from(`${SQL.replace('$1', String(aid))}\0`));
}

function preparedStatement(aid) {
  const value = Buffer.from(String(aid));
  const bind = Buffer.alloc(4 + 2 + 2 + 4 + value.length + 2);
  let at = bind.write('\0P0\0'); // unnamed portal, statement P0
  at = bind.writeInt16BE(0, at); // no parameter format codes: text
  at = bind.writeInt16BE(1, at); // one parameter
  at = bind.writeInt32BE(value.length, at);
  at += value.copy(bind, at);
  bind.writeInt16BE(0, at); // result columns in text
  return Buffer.concat([frame('B', bind), frame('D', Buffer.from('P\0')), frame('E', Buffer.from('\0\0\0\0\0')), frame('S', Buffer.alloc(0))]);
}

/** Resolves when `count` ReadyForQuery messages have arrived on the socket; rejects on an ErrorResponse. */
function readyCounter(socket) {
  let pending = Buffer.alloc(0);
  let waiting;
  let ready = 0;
  let want = 0;
  socket.on('data', (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let at = 0;
    while (pending.length - at >= 5) {
      const length = pending.readInt32BE(at + 1);
      if (pending.length - at < length + 1) break;
      const code = pending[at];
      if (code === 0x45) {
        const text = pending.toString('utf8', at + 5, at + 1 + length).replace(/\0/g, ' ');
        waiting?.reject(new Error(`statement failed: ${text}`));
        waiting = undefined;
      }
      if (code === 0x5a) ready++;
      at += length + 1;
    }
    pending = pending.subarray(at);
    if (waiting && ready >= want) {
      const { resolve } = waiting;
      waiting = undefined;
      resolve();
    }
  });
  socket.resume();
  return (count) => {
    want = ready + count;
    return new Promise((resolve, reject) => {
      waiting = { resolve, reject };
    });
  };
}

async function openClients(port) {
  const sessions = [];
  for (let i = 0; i < clients; i++) {
    const { socket } = await login({ host: '127.0.0.1', port, ...credentials, database: BENCH_DATABASE });
    const ready = readyCounter(socket);
    if (values.protocol === 'prepared') {
      socket.write(Buffer.concat([frame('P', Buffer.from(`P0\0${SQL}\0\0\0`)), frame('S', Buffer.alloc(0))]));
      await ready(1);
    }
    sessions.push({ socket, ready });
  }
  return sessions;
}

/** Every client runs its share of `count` statements, one at a time. */
async function drive(sessions, count, random) {
  const make = values.protocol === 'prepared' ? preparedStatement : simpleStatement;
  const aids = Array.from({ length: count }, () => 1 + Math.floor(random() * 100_000 * SCALE));
  let next = 0;
  await Promise.all(
    sessions.map(async ({ socket, ready }) => {
      while (next < aids.length) {
        const aid = aids[next++];
        const done = ready(1);
        socket.write(make(aid));
        await done;
      }
    }),
  );
}

/** Instructions counted by callgrind since the last zeroing, from a fresh dump. */
function callgrindInstructions(pid, dir, label) {
  execFileSync('callgrind_control', ['-d', label, String(pid)], { stdio: 'ignore' });
  const dumps = readdirSync(dir).filter((file) => file.startsWith(`callgrind.${pid}.`)).sort((a, b) => Number(a.split('.').at(-1)) - Number(b.split('.').at(-1)));
  const text = readFileSync(join(dir, dumps.at(-1)), 'utf8');
  return Number(/^summary: (\d+)/m.exec(text)?.[1] ?? /^totals: (\d+)/m.exec(text)?.[1]);
}

async function measure(configuration, server) {
  const cgDir = join(runDir, `cg-${configuration.key}`);
  const wrapper = callgrind
    ? ['valgrind', '--tool=callgrind', `--callgrind-out-file=${join(cgDir, 'callgrind.%p')}`, '--dump-line=no', '--compress-strings=no']
    : [];
  if (callgrind) execFileSync('mkdir', ['-p', cgDir]);
  const sluice = await startSluice({ name: configuration.key, server, credentials, plugins: configuration.plugins, runDir, wrapper, readyTimeoutMs: callgrind ? 900_000 : 30_000 });
  try {
    const sessions = await openClients(sluice.port);
    const random = generator(42);
    await drive(sessions, warmup, random);
    const samples = [];
    for (let round = 0; round < repeat; round++) {
      if (callgrind) execFileSync('callgrind_control', ['-z', String(sluice.pid)], { stdio: 'ignore' });
      const cpuBefore = cpuSecondsOf(sluice.pid);
      const started = performance.now();
      await drive(sessions, statements, random);
      const seconds = (performance.now() - started) / 1000;
      const cpu = cpuSecondsOf(sluice.pid) - cpuBefore;
      const sample = { cpuUsPerStatement: (cpu / statements) * 1e6, statementsPerSecond: statements / seconds };
      if (callgrind) sample.instructionsPerStatement = callgrindInstructions(sluice.pid, cgDir, `round${round}`) / statements;
      samples.push(sample);
      say(
        `${configuration.label}: ${callgrind ? `${Math.round(sample.instructionsPerStatement).toLocaleString('en')} instructions, ` : ''}${sample.cpuUsPerStatement.toFixed(1)} CPU µs per statement (${Math.round(sample.statementsPerSecond)}/s)`,
      );
    }
    for (const { socket } of sessions) terminate(socket);
    return samples;
  } finally {
    await sluice.stop();
  }
}

async function main() {
  const missing = coreMissing();
  if (missing) throw new Error(missing);
  const server = values.pg ? existingPostgres(values.pg) : await startPrivatePostgres();
  const results = {};
  try {
    await prepareDatabase(server, { scale: SCALE, peopleRows: 1000 }, say);
    const wanted = values.configs.split(',');
    const configurations = sluiceConfigurations({ experiments: true });
    for (const key of wanted) {
      const configuration = configurations.find((c) => c.key === key);
      if (!configuration) throw new Error(`unknown configuration ${key}`);
      if (configuration.skipped) {
        say(`${configuration.label}: ${configuration.skipped}`);
        continue;
      }
      results[key] = await measure(configuration, server);
    }
  } finally {
    await server.stop();
  }
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const lines = [`${values.protocol} protocol, ${clients} clients, ${statements} statements per sample after ${warmup} to warm up; load average ${load}`];
  for (const [key, samples] of Object.entries(results)) {
    const cpu = samples.map((s) => s.cpuUsPerStatement).sort((a, b) => a - b);
    const median = cpu[Math.floor(cpu.length / 2)];
    const instructions = samples[0].instructionsPerStatement;
    lines.push(`${key}: ${instructions === undefined ? '' : `${Math.round(instructions).toLocaleString('en')} instructions/statement, `}CPU µs/statement median ${median.toFixed(1)} (samples ${cpu.map((v) => v.toFixed(1)).join(', ')})`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

try {
  await main();
} catch (error) {
  say(`failed: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  killAll();
  rmSync(runDir, { recursive: true, force: true });
}
