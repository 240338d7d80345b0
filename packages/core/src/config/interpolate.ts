// Replaces `${env:NAME}` and `${file:PATH}` in the string values of parsed config data.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describeFileError } from './file-errors.js';

export interface InterpolationContext {
  env: NodeJS.ProcessEnv;
  /** Directory that `${file:PATH}` is relative to: the config file's. */
  baseDir: string;
}

export interface InterpolationIssue {
  path: PropertyKey[];
  message: string;
}

export interface InterpolationResult {
  value: unknown;
  issues: InterpolationIssue[];
}

type StringResult = { ok: true; value: string } | { ok: false; message: string };

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SUPPORTED_FORMS = 'use ${env:NAME} or ${file:PATH}, or $${ for a literal ${';

/** Interpolates every string in `data` (keys excepted); a string that fails is kept as it was. */
export function interpolate(data: unknown, context: InterpolationContext): InterpolationResult {
  const issues: InterpolationIssue[] = [];
  const visit = (value: unknown, at: PropertyKey[]): unknown => {
    if (typeof value === 'string') {
      const result = interpolateString(value, context);
      if (result.ok) return result.value;
      issues.push({ path: at, message: result.message });
      return value;
    }
    if (Array.isArray(value)) return value.map((item, index) => visit(item, [...at, index]));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, visit(item, [...at, key])]));
    }
    return value;
  };
  return { value: visit(data, []), issues };
}

export function interpolateString(text: string, context: InterpolationContext): StringResult {
  let output = '';
  let position = 0;
  while (position < text.length) {
    const dollar = text.indexOf('$', position);
    if (dollar < 0) break;
    output += text.slice(position, dollar);
    if (text.startsWith('$${', dollar)) {
      output += '${';
      position = dollar + 3;
    } else if (text.startsWith('${', dollar)) {
      const close = text.indexOf('}', dollar + 2);
      if (close < 0) return { ok: false, message: `unterminated \${ (${SUPPORTED_FORMS})` };
      const resolved = resolveReference(text.slice(dollar + 2, close), context);
      if (!resolved.ok) return resolved;
      // Appended as is: a resolved value is never interpolated again.
      output += resolved.value;
      position = close + 1;
    } else {
      output += '$';
      position = dollar + 1;
    }
  }
  return { ok: true, value: output + text.slice(position) };
}

// Messages name the variable or file but never quote the string around it, which may be a secret.
function resolveReference(reference: string, context: InterpolationContext): StringResult {
  const colon = reference.indexOf(':');
  const kind = colon < 0 ? '' : reference.slice(0, colon);
  const argument = reference.slice(colon + 1).trim();
  if (kind === 'env') return readEnv(argument, context.env);
  if (kind === 'file') return readSecretFile(argument, context.baseDir);
  return { ok: false, message: `unsupported interpolation (${SUPPORTED_FORMS})` };
}

function readEnv(name: string, env: NodeJS.ProcessEnv): StringResult {
  if (!ENV_NAME.test(name)) return { ok: false, message: 'invalid environment variable name in ${env:NAME}' };
  const value = env[name];
  if (value === undefined) return { ok: false, message: `environment variable ${name} is not set` };
  return { ok: true, value };
}

function readSecretFile(file: string, baseDir: string): StringResult {
  if (file === '') return { ok: false, message: 'missing file path in ${file:PATH}' };
  try {
    const content = readFileSync(path.resolve(baseDir, file), 'utf8');
    return { ok: true, value: content.replace(/\r?\n$/, '') };
  } catch (error) {
    return { ok: false, message: `cannot read file ${file}: ${describeFileError(error)}` };
  }
}
