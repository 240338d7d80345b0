// The results as Markdown: one table per part, the targets of the issue checked, and the latest numbers copied into bench/README.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { median } from './stats.mjs';

const MB = 2 ** 20;

/** Median over the rounds of one path in one cell; an error when every round failed. */
export function summarize(runs = []) {
  const ok = runs.filter((run) => !run.error);
  if (ok.length === 0) return runs.length ? { error: runs[0].error } : undefined;
  const tps = median(ok.map((r) => r.tps));
  const cpu = median(ok.map((r) => r.proxyCpuSeconds / (r.tps * r.seconds)));
  return {
    tps,
    p50Ms: median(ok.map((r) => r.p50Ms)),
    p99Ms: median(ok.map((r) => r.p99Ms)),
    proxyCpuUsPerTx: cpu * 1e6,
    proxyCores: median(ok.map((r) => r.proxyCpuSeconds / r.seconds)),
    clientCores: median(ok.map((r) => r.pgbenchCpuSeconds / r.seconds)),
    serverCores: median(ok.map((r) => r.serverCpuSeconds / r.seconds)),
    otherCores: median(ok.map((r) => r.machineCores - (r.pgbenchCpuSeconds + (r.proxyCpuSeconds || 0) + (r.serverCpuSeconds || 0)) / r.seconds)),
    machineBusy: median(ok.map((r) => r.machineBusy)),
    rounds: ok.length,
    failedRounds: runs.length - ok.length,
  };
}

const fixed = (value, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '–');
const megabytes = (bytes) => (Number.isFinite(bytes) ? `${(bytes / MB).toFixed(0)} MB` : '–');
const signed = (value, digits = 2) => (Number.isFinite(value) ? `${value >= 0 ? '+' : ''}${value.toFixed(digits)}` : '–');

function pgbenchTable(results) {
  const lines = [
    '| script | protocol | clients | path | TPS | vs direct | vs PgBouncer | p50 ms | p99 ms | p99 added vs direct, ms | proxy CPU µs/tx | cores: proxy / pgbench / PostgreSQL / other | machine busy |',
    '|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|',
  ];
  for (const cell of results.pgbench ?? []) {
    const direct = summarize(cell.runs.direct);
    const bouncer = summarize(cell.runs.pgbouncer);
    for (const target of results.targets) {
      const head = `| ${cell.script === 'select-only' ? '-S' : 'TPC-B'} | ${cell.protocol} | ${cell.clients} | ${target.label} |`;
      if (target.skipped) {
        lines.push(`${head} ${target.skipped} | | | | | | | | |`);
        continue;
      }
      const s = summarize(cell.runs[target.key]);
      if (!s) continue;
      if (s.error) {
        lines.push(`${head} error: ${s.error.replaceAll('|', '/')} | | | | | | | | |`);
        continue;
      }
      const isDirect = target.key === 'direct';
      lines.push(
        `${head} ${fixed(s.tps)} | ${isDirect ? '1.00×' : ratio(s.tps, direct?.tps)} | ${target.key === 'pgbouncer' ? '1.00×' : ratio(s.tps, bouncer?.tps)} | ${fixed(s.p50Ms, 2)} | ${fixed(s.p99Ms, 2)} | ${isDirect ? '' : signed(s.p99Ms - direct?.p99Ms)} | ${fixed(s.proxyCpuUsPerTx, 0)} | ${fixed(s.proxyCores, 2)} / ${fixed(s.clientCores, 2)} / ${fixed(s.serverCores, 2)} / ${fixed(s.otherCores, 2)} | ${fixed(s.machineBusy * 100, 0)}% |`,
      );
    }
  }
  return lines.join('\n');
}

function mysqlSection(results) {
  const mysql = results.mysql;
  if (!mysql) return '_not run (--only)_';
  if (mysql.skipped) return `**Skipped:** ${mysql.skipped}.`;
  const lines = ['| test | threads | path | TPS | vs direct | p50 ms | p99 ms | p99 added, ms | proxy CPU µs/tx |', '|---|---:|---|---:|---:|---:|---:|---:|---:|'];
  for (const cell of mysql.cells) {
    const direct = summarize(cell.runs.direct);
    for (const target of mysql.targets) {
      const head = `| ${cell.test} | ${cell.threads} | ${target.label} |`;
      if (target.skipped) {
        lines.push(`${head} ${target.skipped} | | | | | |`);
        continue;
      }
      const s = summarize(cell.runs[target.key]);
      if (!s) continue;
      if (s.error) lines.push(`${head} error: ${s.error} | | | | | |`);
      else lines.push(`${head} ${fixed(s.tps)} | ${ratio(s.tps, direct?.tps)} | ${fixed(s.p50Ms, 2)} | ${fixed(s.p99Ms, 2)} | ${target.key === 'direct' ? '' : signed(s.p99Ms - direct?.p99Ms)} | ${fixed(s.proxyCpuUsPerTx)} |`);
    }
  }
  return lines.join('\n');
}

function largeTable(results) {
  const large = results.largeResult;
  if (!large) return '_not run (--only)_';
  const lines = [
    `\`SELECT * FROM bench_people ORDER BY id LIMIT ${large.rows}\` (5 columns, ~${Math.round(105 * large.rows / MB)} MB on the wire), simple protocol, read by a raw-socket client that counts DataRows.`,
    '',
    '| path | rows | seconds | rows/s | MB/s | proxy RSS before | proxy peak RSS |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const target of results.targets) {
    if (target.skipped) {
      lines.push(`| ${target.label} | ${target.skipped} | | | | | |`);
      continue;
    }
    const run = large.runs[target.key];
    if (!run) continue;
    if (run.error) lines.push(`| ${target.label} | error: ${run.error} | | | | | |`);
    else lines.push(`| ${target.label} | ${run.rows} | ${fixed(run.seconds, 2)} | ${fixed(run.rowsPerSecond)} | ${fixed(run.megabytesPerSecond, 1)} | ${megabytes(run.rssStart)} | ${megabytes(run.rssPeak)} |`);
  }
  return lines.join('\n');
}

function connectionsTable(results) {
  const c = results.connections;
  if (!c) return '_not run (--only)_';
  const lines = [
    `${c.count} connections, each a full SCRAM-SHA-256 login on a raw socket, ${c.concurrency} logins in flight at a time, held idle ${c.holdMs / 1000} s, then every one runs \`SELECT 1\`.`,
    '',
    '| path | opened | answered | open time s | connect p50 ms | connect p99 ms | RSS before | RSS idle | peak RSS | per connection |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [, run] of Object.entries(c.runs)) {
    if (run.error) lines.push(`| ${run.label} | error: ${run.error} | | | | | | | | |`);
    else
      lines.push(
        `| ${run.label} | ${run.opened}/${run.requested}${run.failures ? ` (${run.failures} failed: ${run.firstFailure})` : ''} | ${run.answered} | ${fixed(run.openSeconds, 1)} | ${fixed(run.connectP50Ms, 1)} | ${fixed(run.connectP99Ms, 1)} | ${megabytes(run.rssBefore)} | ${megabytes(run.rssIdle)} | ${megabytes(run.rssPeak)} | ${fixed(run.perConnectionKb, 0)} KB |`,
      );
  }
  return lines.join('\n');
}

function slowTable(results) {
  const s = results.slowReader;
  if (!s) return '_not run (--only)_';
  const lines = [
    `\`SELECT g, repeat('x', 1000) FROM generate_series(1, N)\`: about ${s.megabytes} MB through a fresh Sluice, read by a client at the given speed.`,
    '',
    '| path | reader speed | MB read | seconds | reader MB/s | RSS before | peak RSS | growth |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const run of s.runs) {
    if (run.error) lines.push(`| ${run.label} | ${run.speed} | error: ${run.error} | | | | | |`);
    else lines.push(`| ${run.label} | ${run.speed} | ${fixed(run.megabytes)} | ${fixed(run.seconds, 1)} | ${fixed(run.readerMegabytesPerSecond, 1)} | ${megabytes(run.rssBefore)} | ${megabytes(run.rssPeak)} | ${signed(run.growth / MB, 1)} MB |`);
  }
  return lines.join('\n');
}

/** The issue's targets, each with the numbers it was judged on. */
export function checkTargets(results) {
  const checks = [];
  const cell = (results.pgbench ?? []).find((c) => c.script === 'select-only' && c.protocol === 'simple' && c.clients === 8);
  const verdict = (ok) => (ok === undefined ? '⏭ not measured' : ok ? '✅ met' : '❌ not met');
  if (cell) {
    const bouncer = summarize(cell.runs.pgbouncer);
    const direct = summarize(cell.runs.direct);
    for (const [key, share, label] of [['sluice-ag', 1, 'audit + guardrails ≥ PgBouncer TPS'], ['sluice-agm', 0.9, 'audit + guardrails + masking ≥ 90% of PgBouncer TPS']]) {
      const s = summarize(cell.runs[key]);
      const skipped = results.targets.find((t) => t.key === key)?.skipped;
      const ok = s && !s.error && bouncer && !bouncer.error ? s.tps >= share * bouncer.tps : undefined;
      checks.push(`| pgbench -S, 8 clients, simple: ${label} | ${verdict(ok)} | ${skipped ?? (s?.error ? `error: ${s.error}` : `${fixed(s?.tps)} vs PgBouncer ${fixed(bouncer?.tps)} (${ratio(s?.tps, bouncer?.tps)})`)} |`);
    }
    for (const target of results.targets.filter((t) => t.key.startsWith('sluice'))) {
      const s = summarize(cell.runs[target.key]);
      const added = s && !s.error && direct && !direct.error ? s.p99Ms - direct.p99Ms : undefined;
      checks.push(`| p99 added < 1 ms at 8 clients (-S simple), ${target.label} | ${verdict(added === undefined ? undefined : added < 1)} | ${target.skipped ?? (added === undefined ? 'no data' : `p99 ${fixed(s.p99Ms, 2)} ms vs direct ${fixed(direct.p99Ms, 2)} ms: ${signed(added)} ms`)} |`);
    }
  }
  for (const run of results.slowReader?.runs ?? []) {
    if (run.error) continue;
    const full = run.megabytes >= 1000;
    checks.push(`| RSS flat (±50 MB) while ${fixed(run.megabytes)} MB stream, ${run.label}, reader ${run.speed} | ${verdict(run.growth < 50 * MB)}${full ? '' : ' (less than 1 GB: quick run)'} | ${signed(run.growth / MB, 1)} MB |`);
  }
  // Two processes on one port (node:cluster, bench-only) against one, where clients can spread over both.
  for (const [single, double] of [['sluice', 'sluice-x2'], ['sluice-agm', 'sluice-agm-x2']]) {
    for (const clients of [8, 64]) {
      const c = (results.pgbench ?? []).find((x) => x.script === 'select-only' && x.protocol === 'simple' && x.clients === clients);
      const one = c && summarize(c.runs[single]);
      const two = c && summarize(c.runs[double]);
      const label = results.targets.find((t) => t.key === double)?.label ?? double;
      if (!one || !two || one.error || two.error) {
        checks.push(`| a second core, -S simple c=${clients}: ${label} | ⏭ not measured | ${results.targets.find((t) => t.key === double)?.skipped ?? 'no data'} |`);
        continue;
      }
      const gain = two.tps / one.tps;
      checks.push(`| a second core, -S simple c=${clients}: ${label} | ${gain >= 1.1 ? '✅ pays' : '➖ does not pay here'} | ${fixed(two.tps)} vs ${fixed(one.tps)} TPS with one process (${ratio(two.tps, one.tps)}); proxy ${fixed(two.proxyCores, 2)} vs ${fixed(one.proxyCores, 2)} cores |`);
    }
  }
  return ['| target | result | numbers |', '|---|---|---|', ...checks].join('\n');
}

export function renderMarkdown(results, chartName) {
  const m = results.machine;
  const skipped = results.targets.filter((t) => t.skipped).map((t) => `- ${t.label}: ${t.skipped}`);
  return `# Sluice benchmarks, ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC (${results.mode} run)

Machine: ${m.cpus} × ${m.cpuModel}, Linux ${m.kernel}; Node ${m.node}; ${m.pgbench}; ${m.pgbouncer}; ${m.sysbench}. Load average at the start ${results.loadAverage.start}, at the end ${results.loadAverage.end ?? '?'}.
Server: ${results.server}.
pgbench: scale ${results.settings.scale}, ${results.settings.seconds} s per run, ${results.settings.rounds} round(s) of the whole matrix, paths interleaved and rotated in every cell; \`-n\` everywhere (the suite vacuums directly before each TPC-B run); \`-j\` = min(clients, 2); numbers are medians over the rounds.
**The load generator shares the machine:** pgbench, PostgreSQL and the proxy all run on the same ${m.cpus} cores ("pgbench cores" and "machine busy" say how much). A proxy's CPU is taken from the server and the client, so every ratio below is for this box, not for a proxy on its own host.
${skipped.length ? `\nSkipped paths:\n${skipped.join('\n')}\n` : ''}
![pgbench TPS and p99, slow-reader RSS](${chartName})

## Targets

${checkTargets(results)}

## PostgreSQL: pgbench

${pgbenchTable(results)}

"proxy CPU µs/tx" is the CPU time (user + system) the proxy process used during the run divided by the transactions. "cores" splits the machine's busy CPU over the run: the proxy, pgbench, the PostgreSQL server with all its backends, and everything else on the machine ("other": work that is not part of the benchmark, e.g. other people's builds and tests on a shared box — when it is large, the numbers are noisy; it can come out slightly below 0, about ±0.15, because the parts are read from /proc at slightly different moments).

## MySQL: sysbench

${mysqlSection(results)}

## Large result

${largeTable(results)}

## Idle connections

${connectionsTable(results)}

## Slow reader

${slowTable(results)}
${results.notes.length ? `\n## Notes\n\n${results.notes.map((n) => `- ${n}`).join('\n')}\n` : ''}`;
}

const START = '<!-- latest-results:start -->';
const END = '<!-- latest-results:end -->';

/** Replaces the block between the markers in bench/README.md with the run's tables (headings pushed one level down). */
export function updateReadme(readmePath, markdown, markdownLink, chartLink) {
  if (!existsSync(readmePath)) return;
  const readme = readFileSync(readmePath, 'utf8');
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start === -1 || end === -1) return;
  const body = markdown
    .replace(/^# (.*)$/m, `### $1\n\nFull report: [${markdownLink}](${markdownLink})`)
    .replace(/^## /gm, '#### ')
    .replace(/!\[([^\]]*)\]\(([^)]*)\)/, `![$1](${chartLink})`);
  writeFileSync(readmePath, `${readme.slice(0, start + START.length)}\n${body}\n${readme.slice(end)}`);
}
