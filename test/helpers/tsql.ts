// FreeTDS tsql (Debian freetds-bin) as a second real SQL Server client, with its own freetds.conf in a temp dir.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, type Completed } from './processes.js';

export type FreeTdsEncryption = 'off' | 'request' | 'require';

export interface TsqlOptions {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly encryption?: FreeTdsEncryption;
  readonly database?: string;
}

/** Runs batches (each ended with `go`) through tsql; stdout holds tab-separated result rows. */
export function tsql(options: TsqlOptions, batches: readonly string[]): Promise<Completed> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-freetds-'));
  const conf = join(dir, 'freetds.conf');
  writeFileSync(conf, `[global]\n\ttds version = 7.4\n\tencryption = ${options.encryption ?? 'off'}\n\tclient charset = UTF-8\n`);
  const args = ['-H', '127.0.0.1', '-p', String(options.port), '-U', options.user, '-P', options.password];
  if (options.database) args.push('-D', options.database);
  const input = batches.map((sql) => `${sql}\ngo\n`).join('') + 'exit\n';
  return run('tsql', args, { env: { FREETDSCONF: conf, TDSVER: '7.4', LC_ALL: 'C.UTF-8' }, input, timeoutMs: 30_000 });
}

/** The result lines of tsql's output: prompts, locale chatter and row counts removed. */
export function tsqlLines(output: string): string[] {
  return output
    .split('\n')
    .map((line) => line.replace(/^(\d+> )+/, ''))
    .filter((line) => line !== '' && !/^locale |^using default charset|^Setting |^\(\d+ rows? affected\)$/.test(line));
}
