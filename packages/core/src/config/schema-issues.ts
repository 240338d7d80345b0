// Turns zod's issues into config issues worded for people, never quoting the value that failed.
import type { z } from 'zod';
import type { ConfigIssue } from './config-error.js';
import { formatPath } from './format-path.js';
import type { SourcePosition } from './yaml-source.js';

type RawIssue = z.core.$ZodRawIssue;

export interface Locator {
  locateValue(path: readonly PropertyKey[]): SourcePosition | undefined;
  locateKey(path: readonly PropertyKey[]): SourcePosition | undefined;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  null: 'null',
};

/** Error map passed to safeParse; schema-level messages take precedence over it. */
export function describeSchemaIssue(issue: RawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}, got ${describeType(issue.input)}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `expected ${String(issue.values[0])}`
        : `expected one of ${issue.values.map(String).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'string') return 'must not be empty';
      if (issue.origin === 'array') return `must have at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}`;
      return `must be at least ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'array') return `must have at most ${issue.maximum} items`;
      return `must be at most ${issue.maximum}`;
    case 'invalid_format':
      return issue.format === 'regex' ? 'has an invalid format' : `expected a valid ${issue.format}`;
    case 'unrecognized_keys':
      return 'unknown key';
    default:
      return 'is invalid';
  }
}

/** One config issue per problem: an unknown-keys issue becomes one issue per key, placed at that key. */
export function toConfigIssues(issues: readonly z.core.$ZodIssue[], source: Locator): ConfigIssue[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => issueAt([...issue.path, key], 'unknown key', source.locateKey([...issue.path, key])));
    }
    return [issueAt(issue.path, issue.message, source.locateValue(issue.path))];
  });
}

function issueAt(path: readonly PropertyKey[], message: string, position: SourcePosition | undefined): ConfigIssue {
  return { path: formatPath(path), message, ...position };
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}
