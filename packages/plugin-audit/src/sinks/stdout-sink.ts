// The stdout sink: each record as a pino JSON line, for container log collectors.
import { pino, type Logger } from 'pino';
import type { SealedRecord } from '../record/types.js';
import type { Sink, SinkStats } from './sink.js';

export interface StdoutSinkOptions {
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  /** Where the lines go; stdout (fd 1) unless a test passes a stream. */
  readonly destination?: NodeJS.WritableStream;
}

export class StdoutSink implements Sink {
  readonly kind = 'stdout';
  readonly description = 'stdout';
  readonly #logger: Logger;
  readonly #level: StdoutSinkOptions['level'];
  #written = 0;

  constructor(options: StdoutSinkOptions) {
    this.#level = options.level;
    const destination = options.destination ?? pino.destination({ dest: 1, sync: true });
    this.#logger = pino({ level: options.level, base: { component: 'audit' } }, destination as pino.DestinationStream);
  }

  accept(sealed: SealedRecord): void {
    this.#logger[this.#level]({ audit: sealed.record }, 'audit record');
    this.#written++;
  }

  failure(): string | undefined {
    return undefined;
  }

  stats(): SinkStats {
    return { written: this.#written, pending: 0, dropped: 0 };
  }

  async flush(): Promise<void> {
    this.#logger.flush();
  }

  async close(): Promise<void> {
    this.#logger.flush();
  }
}
