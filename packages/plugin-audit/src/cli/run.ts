// `sluice audit <verify|tail|search|keygen>`: core's CLI calls runCli with the arguments after `audit`.
import { UsageError } from './filters.js';
import { keygenCommand, KEYGEN_USAGE } from './keygen-command.js';
import { processOutput, type CliOutput } from './output.js';
import { searchCommand, SEARCH_USAGE } from './search-command.js';
import { tailCommand, TAIL_USAGE } from './tail-command.js';
import { verifyCommand, VERIFY_USAGE } from './verify-command.js';

const USAGE = `Usage: sluice audit <command>

${VERIFY_USAGE}
${TAIL_USAGE}
${SEARCH_USAGE}
${KEYGEN_USAGE}`;

export const EXIT = { ok: 0, tampered: 1, usage: 2 } as const;

/** Runs one `sluice audit` command; resolves with the exit code. `--follow` ends on SIGINT/SIGTERM or `stop`. */
export async function runCli(args: string[], output: CliOutput = processOutput, stop?: AbortSignal): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case 'verify':
        return await verifyCommand(rest, output);
      case 'search':
        return await searchCommand(rest, output);
      case 'tail':
        return await withStopSignal(stop, (signal) => tailCommand(rest, output, signal));
      case 'keygen':
        return await keygenCommand(rest, output);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        if (command === undefined) {
          output.err(USAGE);
          return EXIT.usage;
        }
        output.out(USAGE);
        return EXIT.ok;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (!usage) throw error;
    output.err(`sluice audit: ${(error as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
}

async function withStopSignal(stop: AbortSignal | undefined, run: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  stop?.addEventListener('abort', abort, { once: true });
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  try {
    return await run(controller.signal);
  } finally {
    process.off('SIGINT', abort);
    process.off('SIGTERM', abort);
  }
}
