// What every sink implements, and what the trail needs to know about each one.
import type { SealedRecord } from '../record/types.js';

export type FailurePolicy = 'block' | 'buffer';

export interface SinkStats {
  /** Records the sink has written or delivered. */
  readonly written: number;
  /** Records waiting in memory or in the spool. */
  readonly pending: number;
  /** Records lost because the buffer was full. */
  readonly dropped: number;
  /** Bytes waiting in the sink's disk spool (webhook sinks). */
  readonly spool_bytes?: number;
}

export interface Sink {
  readonly kind: 'file' | 'postgres' | 'webhook' | 'stdout';
  /** Names the sink without any secret: `file /var/log/sluice/audit.jsonl`, `webhook https://siem.example.com/ingest`. */
  readonly description: string;
  /** Takes a record in order; never throws, never waits. */
  accept(sealed: SealedRecord): void;
  /** Why the sink cannot write right now (the error, without the sink's description); undefined while it can. */
  failure(): string | undefined;
  stats(): SinkStats;
  /** Resolves once every accepted record is written, or when `timeoutMs` has passed. */
  flush(timeoutMs: number): Promise<void>;
  /** Flushes what it can within `timeoutMs`, then releases files and connections. */
  close(timeoutMs: number): Promise<void>;
}
