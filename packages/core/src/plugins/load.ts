// Loads the plugins of the config in order, validating each one's `with:` options first.
import { describe, ErrorCodes, SluiceError } from '../errors.js';
import { assertValidPlugin } from '../pipeline.js';
import type { PluginMetrics } from '../metrics/plugin-metrics.js';
import type { AdminRoute, PluginContext, PluginFactory, ReadinessCheck, SluicePlugin, StandardIssue } from '../plugin.js';
import type { ConfigIssue, LoadedConfig } from '../config/index.js';
import { ConfigError, formatPath } from '../config/index.js';
import { SqlParsers } from '../sql-analysis.js';
import { importModule } from './resolve.js';

export interface LoadedPlugins {
  readonly plugins: SluicePlugin[];
  readonly parsers: SqlParsers;
  readonly adminRoutes: AdminRoute[];
  readonly readinessChecks: ReadinessCheck[];
}

/** `metrics`: the running Sluice's plugin metrics; a check (`sluice check`) passes a throwaway one. */
export async function loadPlugins(loaded: LoadedConfig, log: PluginContext['log'], metrics: PluginMetrics): Promise<LoadedPlugins> {
  const plugins: SluicePlugin[] = [];
  const parsers = new SqlParsers();
  const adminRoutes: AdminRoute[] = [];
  const readinessChecks: ReadinessCheck[] = [];
  const context: PluginContext = {
    configDir: loaded.dir,
    log,
    registerSqlParser: (parser) => parsers.register(parser),
    registerAdminRoute: (route) => {
      adminRoutes.push(route);
    },
    registerReadinessCheck: (check) => {
      readinessChecks.push(check);
    },
    metrics,
  };
  const issues: ConfigIssue[] = [];
  for (const [index, entry] of loaded.config.plugins.entries()) {
    const where = ['plugins', index];
    let factory: PluginFactory;
    try {
      factory = await importFactory(entry.use, loaded.dir);
    } catch (error) {
      issues.push(issueAt(loaded, [...where, 'use'], describe(error)));
      continue;
    }
    let options: unknown = entry.with ?? {};
    if (factory.optionsSchema) {
      const result = await factory.optionsSchema['~standard'].validate(options);
      if (result.issues) {
        for (const issue of result.issues) issues.push(optionIssue(loaded, [...where, 'with'], issue));
        continue;
      }
      options = result.value;
    }
    try {
      const plugin = await factory(options, context);
      assertValidPlugin(plugin, entry.use);
      plugins.push(plugin);
    } catch (error) {
      issues.push(issueAt(loaded, where, describe(error)));
    }
  }
  if (issues.length > 0) {
    await Promise.all(plugins.map((plugin) => plugin.close?.()));
    throw new ConfigError(loaded.file, issues);
  }
  return { plugins, parsers, adminRoutes, readinessChecks };
}

async function importFactory(use: string, configDir: string): Promise<PluginFactory> {
  let module: Record<string, unknown>;
  try {
    module = await importModule(use, configDir);
  } catch (error) {
    throw new SluiceError(ErrorCodes.PLUGIN_LOAD, `cannot load plugin ${use}: ${firstLine(describe(error))}`, { cause: error });
  }
  const exported = module.default ?? module.createPlugin;
  if (typeof exported === 'function') return exported as PluginFactory;
  if (exported !== null && typeof exported === 'object') {
    // A module may export a ready plugin object when it takes no options.
    const factory = (() => exported) as unknown as PluginFactory;
    return factory;
  }
  throw new SluiceError(ErrorCodes.PLUGIN_INVALID, `plugin ${use} exports neither a default factory nor createPlugin`);
}

function optionIssue(loaded: LoadedConfig, base: PropertyKey[], issue: StandardIssue): ConfigIssue {
  const path = [...base, ...(issue.path ?? []).map((segment) => (typeof segment === 'object' ? segment.key : segment))];
  return issueAt(loaded, path, issue.message);
}

function issueAt(loaded: LoadedConfig, path: readonly PropertyKey[], message: string): ConfigIssue {
  const location = loaded.locate(path);
  return { path: formatPath(path), message, ...(location ?? {}) };
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}
