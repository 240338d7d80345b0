// Reads sluice.yaml: parses the YAML, interpolates secrets and validates it, reporting every problem with its line.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { describeFileError } from './file-errors.js';
import { formatPath } from './format-path.js';
import { interpolate } from './interpolate.js';
import { createConfigSchema, type SluiceConfig } from './schema.js';
import { describeSchemaIssue, toConfigIssues } from './schema-issues.js';
import { describeYamlError } from './yaml-errors.js';
import { createYamlSource, type SourcePosition, type YamlSource } from './yaml-source.js';

export { ConfigError, formatConfigIssue, type ConfigIssue } from './config-error.js';
export { formatPath } from './format-path.js';

export interface LoadedConfig {
  config: SluiceConfig;
  /** The config file's path, as given. */
  file: string;
  /** Absolute directory of the config file; relative paths in the config are resolved against it. */
  dir: string;
  /** Line and column of the value at `path`, or of its nearest ancestor present in the file. */
  locate(path: readonly PropertyKey[]): SourcePosition | undefined;
}

export interface ParseConfigOptions {
  /** Path of the file the text came from: used in messages and to resolve relative paths. */
  file: string;
  /** Variables for `${env:NAME}`; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

export async function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [{ path: '', message: `cannot read config file: ${describeFileError(error)}` }]);
  }
  return parseConfigText(text, { file, env });
}

/** Throws ConfigError listing every problem found, in file order. */
export function parseConfigText(text: string, options: ParseConfigOptions): LoadedConfig {
  const { file, env = process.env } = options;
  const dir = path.dirname(path.resolve(file));
  const lineCounter = new LineCounter();
  // prettyErrors would copy the offending source line, which may hold a secret, into the message.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const source = createYamlSource(doc, lineCounter);

  const yamlError = firstByPosition(doc.errors);
  if (yamlError) throw new ConfigError(file, [yamlIssue(yamlError, source, lineCounter)]);

  const interpolated = interpolate(toPlainData(doc, file), { env, baseDir: dir });
  const interpolationIssues = interpolated.issues.map((issue) => ({
    path: formatPath(issue.path),
    message: issue.message,
    ...source.locateValue(issue.path),
  }));

  const parsed = createConfigSchema(dir).safeParse(interpolated.value, { error: describeSchemaIssue });
  // A value that could not be interpolated was kept as written; errors about that value would only add noise.
  const failedPaths = new Set(interpolationIssues.map((issue) => issue.path));
  const aboutUninterpolatedValue = (issue: z.core.$ZodIssue) =>
    issue.code !== 'unrecognized_keys' && failedPaths.has(formatPath(issue.path));
  const schemaIssues = parsed.success
    ? []
    : toConfigIssues(parsed.error.issues.filter((issue) => !aboutUninterpolatedValue(issue)), source);

  const issues = sortByPosition([...interpolationIssues, ...schemaIssues]);
  if (issues.length > 0 || !parsed.success) throw new ConfigError(file, issues);
  return { config: parsed.data, file, dir, locate: (keyPath) => source.locateValue(keyPath) };
}

function toPlainData(doc: Document, file: string): unknown {
  try {
    return doc.toJS();
  } catch {
    // toJS throws only for an alias it will not expand: an unknown anchor, or an alias bomb.
    const message = 'invalid YAML: an alias cannot be expanded (unknown anchor, or too many aliases)';
    throw new ConfigError(file, [{ path: '', message, line: 1, column: 1 }]);
  }
}

function firstByPosition(errors: readonly YAMLError[]): YAMLError | undefined {
  return errors.reduce<YAMLError | undefined>((first, error) => (!first || error.pos[0] < first.pos[0] ? error : first), undefined);
}

function yamlIssue(error: YAMLError, source: YamlSource, lineCounter: LineCounter): ConfigIssue {
  const { line, col } = lineCounter.linePos(error.pos[0]);
  const keyPath = error.code === 'DUPLICATE_KEY' ? formatPath(source.pathAt(error.pos[0])) : '';
  return { path: keyPath, line, column: col, message: describeYamlError(error) };
}

function sortByPosition(issues: ConfigIssue[]): ConfigIssue[] {
  const rank = (issue: ConfigIssue) => (issue.line ?? 0) * 1e6 + (issue.column ?? 0);
  return issues.sort((a, b) => rank(a) - rank(b));
}
