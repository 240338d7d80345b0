// Runs Sluice as N processes sharing one listening port with node:cluster, to measure whether a second core pays; bench-only, core has no workers option yet.
//
// Usage: node bench/lib/cluster-sluice.mjs <config for worker 0> <config for worker 1> ...
// Each worker gets its own config (same listener port, its own audit file: two writers must not
// share one hash chain). Cancel requests are not routed across workers: fine for pgbench.
import cluster from 'node:cluster';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const REPO = new URL('../../', import.meta.url).pathname;

if (cluster.isPrimary) {
  const configs = process.argv.slice(2);
  if (configs.length === 0) {
    process.stderr.write('usage: cluster-sluice.mjs <config>...\n');
    process.exit(2);
  }
  // Round-robin: the primary accepts and hands each connection to the next worker.
  cluster.schedulingPolicy = cluster.SCHED_RR;
  const workers = configs.map((config) => cluster.fork({ SLUICE_WORKER_CONFIG: config }));
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    for (const worker of workers) worker.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  cluster.on('exit', (worker, code) => {
    if (!stopping) {
      process.stderr.write(`worker ${worker.process.pid} exited with ${code}: stopping all\n`);
      stop();
    }
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(stopping ? 0 : 1);
  });
} else {
  const core = await import(pathToFileURL(createRequire(join(REPO, 'package.json')).resolve('@sluice/core')).href);
  const loaded = await core.loadConfigFile(process.env.SLUICE_WORKER_CONFIG);
  const log = core.createLogger(loaded.config.logging);
  const sluice = await core.Sluice.create(loaded, { log });
  await sluice.start();
  const stop = () => void sluice.shutdown(loaded.config.timeouts.shutdown).then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
