// Turns what a test hands the harness (a plugin, a factory, a module name) into loaded plugins, as the config loader would.
import { formatPath } from '../config/format-path.js';
import { describe, ErrorCodes, SluiceError } from '../errors.js';
import { assertValidPlugin } from '../pipeline.js';
import { importModule } from '../plugins/resolve.js';
import type { PluginContext, PluginFactory, SluicePlugin, StandardIssue } from '../plugin.js';

/** A plugin object, a factory (`definePlugin(...)`), or a module specifier as `use:` takes it. */
export type PluginSource = SluicePlugin | PluginFactory<any> | string;

/** One entry of the plugin list, like a config entry: `use` and its `with:` options. */
export interface PluginEntry {
  readonly use: PluginSource;
  readonly with?: unknown;
}

export interface OptionIssue {
  /** Key path inside `with:`, written as in the config (`rules[0].action`); empty for the whole block. */
  readonly path: string;
  readonly message: string;
}

/** Options the plugin's `optionsSchema` refused; `sluice check` reports the same issues with file lines. */
export class PluginOptionsError extends SluiceError {
  readonly issues: readonly OptionIssue[];

  constructor(source: string, issues: readonly OptionIssue[]) {
    const lines = issues.map((issue) => `  ${issue.path === '' ? 'with' : `with.${issue.path}`}: ${issue.message}`);
    super(ErrorCodes.PLUGIN_OPTIONS, `invalid options for plugin ${source}:\n${lines.join('\n')}`);
    this.name = 'PluginOptionsError';
    this.issues = issues;
  }
}

export type OptionsResult<Options> = { readonly ok: true; readonly value: Options } | { readonly ok: false; readonly issues: readonly OptionIssue[] };

/** Validates `with:` options against the factory's Standard Schema, as the config loader does; no schema accepts anything. */
export async function validatePluginOptions<Options>(factory: PluginFactory<Options>, options: unknown): Promise<OptionsResult<Options>> {
  if (!factory.optionsSchema) return { ok: true, value: options as Options };
  const result = await factory.optionsSchema['~standard'].validate(options);
  if (result.issues) return { ok: false, issues: result.issues.map(toOptionIssue) };
  return { ok: true, value: result.value };
}

function toOptionIssue(issue: StandardIssue): OptionIssue {
  const path = (issue.path ?? []).map((segment) => (typeof segment === 'object' ? segment.key : segment));
  return { path: formatPath(path), message: issue.message };
}

/** Loads one entry: imports it if named, validates its options, runs its factory, checks the plugin's shape. */
export async function loadEntry(entry: PluginEntry, context: PluginContext): Promise<SluicePlugin> {
  const { factory, source } = await factoryOf(entry.use, context.configDir);
  const options = await validatePluginOptions(factory, entry.with ?? {});
  if (!options.ok) throw new PluginOptionsError(source, options.issues);
  let plugin: SluicePlugin;
  try {
    plugin = await factory(options.value, context);
  } catch (error) {
    throw new SluiceError(ErrorCodes.PLUGIN_LOAD, `plugin ${source} failed to start: ${describe(error)}`, { cause: error });
  }
  assertValidPlugin(plugin, source);
  return plugin;
}

async function factoryOf(use: PluginSource, configDir: string): Promise<{ factory: PluginFactory; source: string }> {
  if (typeof use === 'string') return { factory: await importFactory(use, configDir), source: use };
  if (typeof use === 'function') return { factory: use as PluginFactory, source: use.name || '(anonymous factory)' };
  // A ready plugin object: it takes no options, like a module that exports one.
  return { factory: (() => use) as PluginFactory, source: typeof use.name === 'string' ? use.name : 'object' };
}

/** Normalizes the harness's first argument to config-like entries. */
export function entriesOf(plugins: PluginSource | PluginEntry | readonly (PluginSource | PluginEntry)[], options: unknown): PluginEntry[] {
  const list = Array.isArray(plugins) ? (plugins as readonly (PluginSource | PluginEntry)[]) : [plugins as PluginSource | PluginEntry];
  if (Array.isArray(plugins) && options !== undefined) {
    throw new TypeError('options applies to a single plugin; give each plugin of a list its own { use, with }');
  }
  return list.map((item) => (isEntry(item) ? item : options === undefined ? { use: item } : { use: item, with: options }));
}

function isEntry(item: PluginSource | PluginEntry): item is PluginEntry {
  return typeof item === 'object' && item !== null && 'use' in item;
}

/** Imports a plugin module as the config loader does: its default export or `createPlugin`, a factory or a ready plugin. */
async function importFactory(use: string, configDir: string): Promise<PluginFactory> {
  let module: Record<string, unknown>;
  try {
    module = await importModule(use, configDir);
  } catch (error) {
    throw new SluiceError(ErrorCodes.PLUGIN_LOAD, `cannot load plugin ${use}: ${describe(error).split('\n', 1)[0]}`, { cause: error });
  }
  const exported = module.default ?? module.createPlugin;
  if (typeof exported === 'function') return exported as PluginFactory;
  if (exported !== null && typeof exported === 'object') return (() => exported) as unknown as PluginFactory;
  throw new SluiceError(ErrorCodes.PLUGIN_INVALID, `plugin ${use} exports neither a default factory nor createPlugin`);
}
