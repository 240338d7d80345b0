// Sluice as the suite runs it: the built CLI with a generated config, one process per configuration.
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { freePort, startProcess, stopProcess, waitForPort } from './processes.mjs';

export const REPO = new URL('../../', import.meta.url).pathname;
const CLI = join(REPO, 'packages/core/dist/cli.js');
const CLUSTER = join(REPO, 'bench/lib/cluster-sluice.mjs');
const requireFromRepo = createRequire(join(REPO, 'package.json'));

/** Why a package cannot be loaded from the workspace (not built), or undefined when it can. */
export function unbuilt(packageName) {
  try {
    const entry = requireFromRepo.resolve(packageName);
    return existsSync(entry) ? undefined : `${packageName} not built`;
  } catch {
    return `${packageName} not built`;
  }
}

export function coreMissing() {
  if (!existsSync(CLI)) return 'packages/core/dist/cli.js is missing: run `pnpm build` first';
  return unbuilt('@sluice/driver-postgres');
}

/** The plugin entries of each configuration; audit writes to a file in the run's directory. */
function pluginEntries(names, workDir) {
  const entries = {
    audit: { use: '@sluice/plugin-audit', with: { sinks: [{ type: 'file', path: join(workDir, 'audit.jsonl') }] } },
    // For experiments (bench/profile.mjs --configs): the file sink without an fsync per record.
    'audit-interval': { use: '@sluice/plugin-audit', with: { sinks: [{ type: 'file', path: join(workDir, 'audit.jsonl'), fsync: 'interval' }] } },
    guardrails: { use: '@sluice/plugin-guardrails', with: { presets: ['protect-prod'] } },
    masking: { use: '@sluice/plugin-masking' },
  };
  return names.map((name) => entries[name]);
}

const PACKAGE_OF = { audit: '@sluice/plugin-audit', 'audit-interval': '@sluice/plugin-audit', guardrails: '@sluice/plugin-guardrails', masking: '@sluice/plugin-masking' };

/** The Sluice configurations measured: label, plugins, and why it is skipped (a plugin not built). */
export function sluiceConfigurations({ experiments = false } = {}) {
  return [
    { key: 'sluice', label: 'Sluice, no plugins', plugins: [] },
    { key: 'sluice-ag', label: 'Sluice, audit + guardrails', plugins: ['audit', 'guardrails'] },
    { key: 'sluice-agm', label: 'Sluice, audit + guardrails + masking', plugins: ['audit', 'guardrails', 'masking'] },
    // Does a second core pay? Two processes on one port (node:cluster), measured like the others.
    { key: 'sluice-x2', label: 'Sluice ×2 processes, no plugins', plugins: [], workers: 2 },
    // Experiments, measured only when asked for by key (profile.mjs --configs): single plugins and audit without fsync per record.
    { key: 'sluice-a', label: 'Sluice, audit', plugins: ['audit'], experiment: true },
    { key: 'sluice-ai', label: 'Sluice, audit (fsync: interval)', plugins: ['audit-interval'], experiment: true },
    { key: 'sluice-g', label: 'Sluice, guardrails', plugins: ['guardrails'], experiment: true },
    { key: 'sluice-m', label: 'Sluice, masking', plugins: ['masking'], experiment: true },
    { key: 'sluice-agm-x2', label: 'Sluice ×2 processes, audit + guardrails + masking', plugins: ['audit', 'guardrails', 'masking'], workers: 2 },
  ].map((configuration) => {
    const missing = configuration.plugins.map((name) => unbuilt(PACKAGE_OF[name])).filter(Boolean);
    return { ...configuration, skipped: missing.length > 0 ? `skipped: plugin not built (${missing.join(', ')})` : undefined };
  }).filter((configuration) => experiments || !configuration.experiment);
}

/** YAML by hand: JSON is valid YAML, and the config stays readable in the run directory. */
function configText({ port, server, credentials, plugins, workDir, mysql }) {
  const listeners = [
    {
      name: 'pg-bench',
      dialect: 'postgres',
      listen: `127.0.0.1:${port}`,
      environment: 'prod',
      upstream: { host: server.host, port: server.port, user: server.user, tls: 'disable' },
    },
  ];
  if (mysql) {
    listeners.push({
      name: 'mysql-bench',
      dialect: 'mysql',
      listen: `127.0.0.1:${mysql.port}`,
      environment: 'prod',
      upstream: { host: mysql.upstream.host, port: mysql.upstream.port, user: mysql.upstream.user, ...(mysql.upstream.password ? { password: mysql.upstream.password } : {}), tls: 'disable' },
    });
  }
  return JSON.stringify(
    {
      listeners,
      identity: { users: [{ name: credentials.user, password: credentials.password, groups: ['bench'] }] },
      plugins: pluginEntries(plugins, workDir),
      logging: { level: 'info', format: 'json' },
      timeouts: { connect: '60s', idle: 0, shutdown: '2s' },
    },
    null,
    2,
  );
}

/**
 * Starts `node packages/core/dist/cli.js start -c <config>` and waits for its port.
 * `nodeArgs` (e.g. --cpu-prof) go before the script; `wrapper` (e.g. valgrind and its options) before node. Returns { port, pid, stop(), configFile, workDir }.
 */
export async function startSluice({ name, server, credentials, plugins, runDir, nodeArgs = [], mysql, workers = 1, wrapper = [], readyTimeoutMs = 30_000 }) {
  const workDir = join(runDir, name);
  mkdirSync(workDir, { recursive: true });
  const port = await freePort();
  const mysqlListener = mysql ? { ...mysql, port: await freePort() } : undefined;
  // One config per process: the same listeners, each process its own audit file.
  const configFiles = Array.from({ length: workers }, (_, i) => {
    const dir = workers === 1 ? workDir : join(workDir, `worker-${i}`);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'sluice.yaml');
    writeFileSync(file, configText({ port, server, credentials, plugins, workDir: dir, mysql: mysqlListener }));
    return file;
  });
  const configFile = configFiles[0];
  const log = createWriteStream(join(workDir, 'sluice.log'));
  const args = workers === 1 ? [...nodeArgs, CLI, 'start', '-c', configFile] : [...nodeArgs, CLUSTER, ...configFiles];
  // `wrapper` runs node under another program (valgrind): its pid is then node's own.
  const handle = wrapper.length > 0 ? startProcess(wrapper[0], [...wrapper.slice(1), process.execPath, ...args], { cwd: REPO, logStream: log }) : startProcess(process.execPath, args, { cwd: REPO, logStream: log });
  let alive = true;
  handle.exited.then(() => (alive = false));
  try {
    await waitForPort(port, readyTimeoutMs, () => alive);
  } catch (error) {
    throw new Error(`${error.message}\n${handle.output().slice(-3000)}`);
  }
  return {
    port,
    mysqlPort: mysqlListener?.port,
    pid: handle.pid,
    configFile,
    workDir,
    auditFiles: configFiles.map((file) => join(file, '..', 'audit.jsonl')),
    isAlive: () => alive,
    output: handle.output,
    async stop() {
      await stopProcess(handle, 10_000, 'SIGTERM');
      log.end();
    },
  };
}
