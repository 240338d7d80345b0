#!/usr/bin/env node
// The `sluice` command: start, check, demo, login.
import { parseArgs } from 'node:util';
import { runCheck } from './cli/check.js';
import { runDemo } from './cli/demo.js';
import { runLogin } from './cli/login.js';
import { EXIT, fail } from './cli/exit.js';
import { PLUGIN_COMMANDS, runPluginCommand } from './cli/plugin-commands.js';
import { runStart } from './cli/start.js';
import { VERSION } from './version.js';

const USAGE = `sluice ${VERSION} — identity-aware database proxy

Usage:
  sluice start -c <file>    run the proxy with a config file
  sluice check -c <file>    validate a config file (exit 2 when invalid)
  sluice demo [--port N]    embedded PostgreSQL with sample data, Sluice in front of it
  sluice login [-c <file>]  sign in at the OIDC issuer; print the token or write ~/.pgpass (--help)
  sluice audit …            audit trail tools (from @sluice/plugin-audit)
  sluice approvals …        held statements (from @sluice/plugin-guardrails)
  sluice --version
  sluice --help
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  switch (command) {
    case 'start':
      return runStart(configPath(rest));
    case 'check':
      return runCheck(configPath(rest));
    case 'login':
      return runLogin(rest);
    case 'demo': {
      const { values } = parseArgs({ args: rest, options: { port: { type: 'string' } }, strict: true });
      return runDemo({ ...(values.port === undefined ? {} : { port: Number(values.port) }) });
    }
    default:
      if (command in PLUGIN_COMMANDS) return runPluginCommand(command, rest);
      return fail(EXIT.usage, `unknown command "${command}"\n\n${USAGE}`);
  }
}

function configPath(args: string[]): string {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, strict: true });
  if (values.config === undefined) throw new UsageError('missing -c <config file>');
  return values.config;
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.exitCode = fail(usage ? EXIT.usage : EXIT.failure, (error as Error).message);
  },
);
