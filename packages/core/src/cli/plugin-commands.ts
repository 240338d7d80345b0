// `sluice audit …` and `sluice approvals …` live in their plugin packages; core only finds and runs them.
import { describe } from '../errors.js';
import { importModule } from '../plugins/resolve.js';
import { EXIT, fail } from './exit.js';

/** Sub-commands and the package that implements each; the package exports `runCli(args): Promise<number>`. */
export const PLUGIN_COMMANDS: Readonly<Record<string, string>> = {
  audit: '@sluice/plugin-audit',
  approvals: '@sluice/plugin-guardrails',
};

export async function runPluginCommand(command: string, args: string[]): Promise<number> {
  const packageName = PLUGIN_COMMANDS[command]!;
  let module: { runCli?: (args: string[]) => Promise<number> };
  try {
    module = (await importModule(packageName, process.cwd())) as typeof module;
  } catch (error) {
    return fail(EXIT.usage, `"sluice ${command}" needs the package ${packageName}, which cannot be loaded: ${describe(error).split('\n')[0]}`);
  }
  if (typeof module.runCli !== 'function') return fail(EXIT.usage, `${packageName} has no "sluice ${command}" command in this version`);
  return module.runCli(args);
}
