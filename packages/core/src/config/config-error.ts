// The error thrown for an invalid config file: every problem found, each with its key path and position.
import { ErrorCodes, SluiceError } from '../errors.js';

export interface ConfigIssue {
  /** Key path as written by formatPath, e.g. `listeners[0].upstream.port`; empty for the whole file. */
  path: string;
  line?: number;
  column?: number;
  message: string;
}

export class ConfigError extends SluiceError {
  readonly file: string;
  readonly issues: readonly ConfigIssue[];

  constructor(file: string, issues: readonly ConfigIssue[]) {
    super(ErrorCodes.CONFIG_INVALID, issues.map((issue) => formatConfigIssue(file, issue)).join('\n'));
    this.name = 'ConfigError';
    this.file = file;
    this.issues = issues;
    // The stack points into the loader, not at the user's mistake; the message says everything.
    this.stack = `${this.name}: ${this.message}`;
  }
}

/** `<file>:<line>:<col>: <path>: <message>`, leaving out the parts an issue does not have. */
export function formatConfigIssue(file: string, issue: ConfigIssue): string {
  const position = issue.line === undefined ? '' : `:${issue.line}:${issue.column ?? 1}`;
  const path = issue.path === '' ? '' : `${issue.path}: `;
  return `${file}${position}: ${path}${issue.message}`;
}
