// `sluice check -c FILE`: validates the config and every plugin's options without starting anything.
import { ConfigError, loadConfigFile } from '../config/index.js';
import { createLogger } from '../logger.js';
import { Registry } from 'prom-client';
import { PluginMetricRegistry } from '../metrics/plugin-metrics.js';
import { loadPlugins } from '../plugins/load.js';
import { EXIT, fail } from './exit.js';
import { loadDriver } from '../plugins/load-driver.js';
import { pinnedRoleGuard } from '../identity/pinned-role.js';

export async function runCheck(file: string): Promise<number> {
  try {
    const loaded = await loadConfigFile(file);
    for (const dialect of new Set(loaded.config.listeners.map((listener) => listener.dialect))) await loadDriver(dialect, loaded.dir);
    const log = createLogger({ level: 'warn', format: 'json', destination: process.stderr });
    const { plugins, parsers } = await loadPlugins(loaded, log, new PluginMetricRegistry(new Registry(), () => false).forGeneration());
    try {
      await pinnedRoleGuard(loaded, parsers);
    } finally {
      await Promise.all(plugins.map((plugin) => plugin.close?.()));
    }
    const { listeners } = loaded.config;
    process.stdout.write(
      `${loaded.file}: ok (${listeners.length} listener${listeners.length === 1 ? '' : 's'}, ${plugins.length} plugin${plugins.length === 1 ? '' : 's'})\n`,
    );
    return EXIT.ok;
  } catch (error) {
    if (error instanceof ConfigError) return fail(EXIT.usage, `invalid config\n${error.message}`);
    return fail(EXIT.usage, (error as Error).message);
  }
}
