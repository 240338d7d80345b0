// The audit plugin's metrics: per sink, records waiting, how long the trail has waited on it, records dropped, spool size.
import type { PluginMetrics } from '@sluice/core';
import type { SinkStatus } from '../trail/trail.js';

/** How often sink progress is sampled for the lag gauge. */
const SAMPLE_MS = 1_000;

/**
 * Lag: while a sink has records waiting, the seconds since it last wrote one (or since records
 * started waiting); 0 when nothing waits. Sampled every second and at each scrape.
 */
export class SinkLag {
  readonly #progress = new Map<string, { written: number; since: number }>();
  readonly #timer: NodeJS.Timeout;
  readonly #status: () => SinkStatus[];

  constructor(status: () => SinkStatus[]) {
    this.#status = status;
    this.#timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.#timer.unref();
  }

  /** Seconds of lag by sink description. */
  sample(now = Date.now()): Map<string, number> {
    const lags = new Map<string, number>();
    for (const status of this.#status()) {
      const seen = this.#progress.get(status.sink);
      if (!seen || status.pending === 0 || status.written !== seen.written) {
        this.#progress.set(status.sink, { written: status.written, since: now });
        lags.set(status.sink, 0);
      } else {
        lags.set(status.sink, (now - seen.since) / 1000);
      }
    }
    return lags;
  }

  close(): void {
    clearInterval(this.#timer);
  }
}

export function registerSinkMetrics(metrics: PluginMetrics, status: () => SinkStatus[], lag: SinkLag): void {
  const labelNames = ['sink', 'kind'];
  metrics.gauge({
    name: 'sluice_audit_sink_pending_records',
    help: 'Audit records a sink holds that it has not written yet (memory or spool)',
    labelNames,
    collect: (gauge) => {
      gauge.reset();
      for (const sink of status()) gauge.set({ sink: sink.sink, kind: sink.kind }, sink.pending);
    },
  });
  metrics.gauge({
    name: 'sluice_audit_sink_lag_seconds',
    help: 'While an audit sink has records waiting: seconds since it last wrote one; 0 when nothing waits',
    labelNames,
    collect: (gauge) => {
      gauge.reset();
      const lags = lag.sample();
      for (const sink of status()) gauge.set({ sink: sink.sink, kind: sink.kind }, lags.get(sink.sink) ?? 0);
    },
  });
  metrics.gauge({
    name: 'sluice_audit_sink_up',
    help: '1 while an audit sink can write, 0 while it fails',
    labelNames,
    collect: (gauge) => {
      gauge.reset();
      for (const sink of status()) gauge.set({ sink: sink.sink, kind: sink.kind }, sink.ok ? 1 : 0);
    },
  });
  metrics.gauge({
    name: 'sluice_audit_records_dropped',
    help: 'Audit records a sink dropped because its buffer was full, since the sink was opened',
    labelNames,
    collect: (gauge) => {
      gauge.reset();
      for (const sink of status()) gauge.set({ sink: sink.sink, kind: sink.kind }, sink.dropped);
    },
  });
  metrics.gauge({
    name: 'sluice_audit_spool_bytes',
    help: 'Bytes waiting in a webhook sink\'s disk spool',
    labelNames: ['sink'],
    collect: (gauge) => {
      gauge.reset();
      for (const sink of status()) if (sink.spool_bytes !== undefined) gauge.set({ sink: sink.sink }, sink.spool_bytes);
    },
  });
}
