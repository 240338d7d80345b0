// Command-line options of the suite and the settings of a quick and a full run.
import { parseArgs } from 'node:util';

export const USAGE = `node bench/run.mjs [options]

  --quick              short runs (about 9 minutes) to check the suite end to end
  --seconds N          pgbench/sysbench duration of each run (quick 3, full 10; +3 s of login time at 64 clients)
  --rounds N           how many times the whole interleaved pgbench matrix runs (quick 1, full 2)
  --clients 1,8,64     client counts
  --only LIST          parts to run: pgbench,mysql,large,connections,slow (default: all)
  --pg HOST:PORT       measure against an existing server (user postgres, trust) instead of a private one
  --connections N      idle connections to open (quick 500, full 2000)
  --out DIR            where results go (default bench/results)
  --help
`;

export function readOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      seconds: { type: 'string' },
      rounds: { type: 'string' },
      clients: { type: 'string' },
      only: { type: 'string' },
      pg: { type: 'string' },
      connections: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const quick = values.quick;
  const parts = new Set((values.only ?? 'pgbench,mysql,large,connections,slow').split(',').map((p) => p.trim()));
  return {
    help: values.help,
    mode: quick ? 'quick' : 'full',
    seconds: Number(values.seconds ?? (quick ? 3 : 10)),
    rounds: Number(values.rounds ?? (quick ? 1 : 2)),
    warmupSeconds: quick ? 2 : 5,
    clients: (values.clients ?? '1,8,64').split(',').map(Number),
    parts,
    pg: values.pg,
    out: values.out,
    scale: 10,
    largeRows: quick ? 200_000 : 1_000_000,
    connections: Number(values.connections ?? (quick ? 500 : 2000)),
    connectionConcurrency: 32,
    holdMs: quick ? 2_000 : 5_000,
    slowReader: quick
      ? { megabytes: 128, slowBytesPerSecond: 32 * 1024 * 1024 }
      : { megabytes: 1024, slowBytesPerSecond: 24 * 1024 * 1024 },
  };
}
