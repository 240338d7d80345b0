#!/usr/bin/env node
// Where a Sluice process's CPU goes, per thread and user/kernel, per plugin configuration, under pgbench -S -c 8:
//   node bench/threads.mjs [--configs sluice,sluice-a,sluice-ag] [--seconds 8] [--protocol simple]
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runPgbench } from './lib/pgbench.mjs';
import { BENCH_DATABASE, prepareDatabase, startPrivatePostgres } from './lib/postgres-server.mjs';
import { killAll } from './lib/processes.mjs';
import { sluiceConfigurations, startSluice } from './lib/sluice.mjs';

const { values } = parseArgs({ options: { configs: { type: 'string', default: 'sluice,sluice-a,sluice-ag' }, seconds: { type: 'string', default: '8' }, protocol: { type: 'string', default: 'simple' } } });
const ticks = 100;
function threads(pid) {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      const vol = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)[1]);
      const invol = Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status)[1]);
      out.set(tid, { comm, user: Number(f[11]) / ticks, sys: Number(f[12]) / ticks, vol, invol });
    } catch {}
  }
  return out;
}
const credentials = { user: 'bench', password: `bench-${Math.random().toString(36).slice(2, 12)}` };
const runDir = mkdtempSync(join(tmpdir(), 'sluice-threads-'));
const server = await startPrivatePostgres();
try {
  await prepareDatabase(server, { scale: 10, peopleRows: 10_000 }, () => {});
  const wanted = values.configs.split(',');
  for (const c of sluiceConfigurations({ experiments: true }).filter((c) => wanted.includes(c.key))) {
    const sluice = await startSluice({ name: c.key, server, credentials, plugins: c.plugins, runDir });
    const bench = (seconds) => runPgbench({ port: sluice.port, ...credentials, database: BENCH_DATABASE, script: 'select-only', protocol: values.protocol, clients: 8, seconds, workDir: runDir });
    await bench(3);
    const before = threads(sluice.pid);
    const r = await bench(Number(values.seconds));
    const after = threads(sluice.pid);
    if (r.error || !r.transactions) {
      console.log(`${c.key}: pgbench failed: ${r.error ?? 'no transaction finished'}`);
      await sluice.stop();
      continue;
    }
    const tx = r.transactions;
    const lines = [];
    const total = { user: 0, sys: 0 };
    for (const [tid, a] of after) {
      const b = before.get(tid) ?? { user: 0, sys: 0, vol: 0, invol: 0 };
      const user = a.user - b.user, sys = a.sys - b.sys;
      total.user += user; total.sys += sys;
      if (user + sys > 0.01 || a.vol - b.vol > 100) lines.push(`  ${a.comm.padEnd(16)} user ${(user * 1e6 / tx).toFixed(1)} µs/tx sys ${(sys * 1e6 / tx).toFixed(1)} µs/tx  vol ${((a.vol - b.vol) / tx).toFixed(2)}/tx invol ${((a.invol - b.invol) / tx).toFixed(2)}/tx`);
    }
    console.log(`${c.key}: ${r.tps.toFixed(0)} TPS, user ${(total.user * 1e6 / tx).toFixed(1)} sys ${(total.sys * 1e6 / tx).toFixed(1)} µs/tx`);
    console.log(lines.join('\n'));
    await sluice.stop();
  }
} finally {
  killAll();
}
