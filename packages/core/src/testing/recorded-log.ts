// Captures what the pipeline and the plugins log, through the same logger (and redaction) production uses.
import { createLogger, type Logger } from '../logger.js';

export interface LogLine {
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  readonly msg?: string;
  /** Every other field of the line: `plugin`, `hook`, `error`, … */
  readonly [field: string]: unknown;
}

export interface RecordedLog {
  readonly lines: readonly LogLine[];
  /** Lines at warn level and above. */
  problems(): LogLine[];
  /** Every line as JSON text, one per line: handy for `not.toContain(secret)`. */
  text(): string;
  clear(): void;
}

const LEVELS: Record<number, LogLine['level']> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const DROPPED = new Set(['level', 'time', 'pid', 'hostname']);

export function recordingLogger(): { logger: Logger; log: RecordedLog } {
  const lines: LogLine[] = [];
  const destination = {
    write(chunk: string) {
      for (const text of chunk.split('\n')) {
        if (text.trim() === '') continue;
        const parsed = JSON.parse(text) as Record<string, unknown>;
        const line: Record<string, unknown> = { level: LEVELS[parsed.level as number] ?? 'info' };
        for (const [key, value] of Object.entries(parsed)) if (!DROPPED.has(key)) line[key] = value;
        lines.push(line as LogLine);
      }
      return true;
    },
  };
  const logger = createLogger({ level: 'debug', format: 'json', destination: destination as unknown as NodeJS.WritableStream });
  const log: RecordedLog = {
    lines,
    problems: () => lines.filter((line) => line.level === 'warn' || line.level === 'error' || line.level === 'fatal'),
    text: () => lines.map((line) => JSON.stringify(line)).join('\n'),
    clear: () => {
      lines.length = 0;
    },
  };
  return { logger, log };
}
