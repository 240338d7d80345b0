// Structured logging: JSON by default, readable when attached to a terminal; secrets redacted.
import { pino, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level: string;
  format: 'auto' | 'json' | 'pretty';
  /** Where JSON goes; defaults to stdout. */
  destination?: NodeJS.WritableStream;
}

/** Keys whose values never reach a log line, wherever they appear. */
const REDACTED_KEYS = ['password', 'token', 'secret', 'authorization', 'access_token', 'accessToken'];

export const redactPaths = REDACTED_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.format === 'pretty' || (options.format === 'auto' && process.stdout.isTTY === true);
  const base = { level: options.level, redact: { paths: redactPaths, censor: '[redacted]' }, base: { pid: process.pid } };
  if (pretty && options.destination === undefined) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname' } } });
  }
  return options.destination === undefined ? pino(base) : pino(base, options.destination as pino.DestinationStream);
}
