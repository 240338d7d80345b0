// Core's metrics on a registry of its own per Sluice: connections, sessions, statements, latency, masking, upstream errors.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { AuthMethod, QueryEvent, ResultSummary } from '../plugin.js';
import type { SqlAnalysis } from '../sql-analysis.js';
import { type HistogramSeries, KeyedCounter, ListenerHistogram } from './listener-series.js';
import { PluginMetricRegistry } from './plugin-metrics.js';
import type { RefusalClass } from './refusal-class.js';

/** Seconds; from a fraction of a millisecond (proxy overhead) to a minute (a slow report). */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

const CORE_PREFIXES = ['sluice_connections', 'sluice_sessions', 'sluice_statement', 'sluice_masked', 'sluice_upstream', 'sluice_process', 'sluice_nodejs'];

export class SluiceMetrics {
  readonly registry = new Registry();
  readonly plugins: PluginMetricRegistry;
  readonly #connections: Counter<'listener' | 'auth'>;
  readonly #active: Gauge<'listener'>;
  readonly #refused: Counter<'listener' | 'reason'>;
  readonly #statements: KeyedCounter<'listener' | 'decision' | 'kind'>;
  readonly #held: Counter<'listener'>;
  readonly #duration: ListenerHistogram;
  readonly #upstream: ListenerHistogram;
  readonly #firstByte: ListenerHistogram;
  readonly #proxy: ListenerHistogram;
  readonly #timings = new Map<string, StatementTimings>();
  readonly #masked: Counter<'type'>;
  readonly #upstreamErrors: Counter<'listener'>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'sluice_' });
    this.#connections = new Counter({ name: 'sluice_connections_total', help: 'Sessions that began, by listener and how the identity authenticated', labelNames: ['listener', 'auth'], registers });
    this.#active = new Gauge({ name: 'sluice_sessions_active', help: 'Sessions open now', labelNames: ['listener'], registers });
    this.#refused = new Counter({ name: 'sluice_connections_refused_total', help: 'Connections refused before they became a session, by reason class', labelNames: ['listener', 'reason'], registers });
    this.#statements = new KeyedCounter('sluice_statements_total', 'Statements by decision and kind (kind when a plugin parsed the statement, else unknown)', this.registry);
    this.#held = new Counter({ name: 'sluice_statements_held_total', help: 'Statements a plugin held for approval (each then counts as allow or deny)', labelNames: ['listener'], registers });
    const histogram = (name: string, help: string) => new ListenerHistogram(name, help, LATENCY_BUCKETS, this.registry);
    this.#duration = histogram('sluice_statement_duration_seconds', 'Statement time as the proxy saw it: received from the client to its last response byte');
    this.#upstream = histogram('sluice_statement_upstream_seconds', 'Statement sent to the server to its last response byte');
    this.#firstByte = histogram('sluice_statement_upstream_first_byte_seconds', 'Statement sent to the server to its first response byte');
    this.#proxy = histogram('sluice_statement_proxy_seconds', 'Proxy overhead of a statement that went upstream: its duration minus its upstream time');
    this.#masked = new Counter({ name: 'sluice_masked_values_total', help: 'Values masked in results, by the masked type', labelNames: ['type'], registers });
    this.#upstreamErrors = new Counter({ name: 'sluice_upstream_connect_errors_total', help: 'Upstream logins that failed (unreachable, TLS, refused by the server)', labelNames: ['listener'], registers });
    this.plugins = new PluginMetricRegistry(this.registry, (name) => CORE_PREFIXES.some((prefix) => name.startsWith(prefix)));
  }

  sessionBegan(listener: string, auth: AuthMethod): void {
    this.#connections.inc({ listener, auth });
    this.#active.inc({ listener });
  }

  sessionEnded(listener: string): void {
    this.#active.dec({ listener });
  }

  refused(listener: string, reason: RefusalClass): void {
    this.#refused.inc({ listener, reason });
  }

  held(listener: string): void {
    this.#held.inc({ listener });
  }

  upstreamConnectFailed(listener: string): void {
    this.#upstreamErrors.inc({ listener });
  }

  /** `analysis` is the parse a plugin already asked for, if any: metrics never parse. */
  statement(listener: string, query: QueryEvent, analysis: SqlAnalysis | undefined, summary: ResultSummary): void {
    const decision = summary.decision.action;
    const kind = kindOf(analysis);
    this.#statements.cell(`${listener}\0${decision}\0${kind}`, () => ({ listener, decision, kind })).value++;
    const timings = this.#timingsOf(listener);
    timings.duration.observe(summary.durationMs / 1000);
    const upstream = summary.upstream;
    if (upstream) {
      timings.upstream.observe(upstream.lastByteMs / 1000);
      if (upstream.firstByteMs !== undefined) timings.firstByte.observe(upstream.firstByteMs / 1000);
      timings.proxy.observe(Math.max(0, summary.durationMs - upstream.lastByteMs) / 1000);
    }
    const masked = query.annotations.masked;
    if (masked) for (const { type, count } of Object.values(masked)) if (count > 0) this.#masked.inc({ type }, count);
  }

  #timingsOf(listener: string): StatementTimings {
    let timings = this.#timings.get(listener);
    if (!timings) {
      timings = { duration: this.#duration.series(listener), upstream: this.#upstream.series(listener), firstByte: this.#firstByte.series(listener), proxy: this.#proxy.series(listener) };
      this.#timings.set(listener, timings);
    }
    return timings;
  }

  /** The exposition text for `/metrics`. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

interface StatementTimings {
  duration: HistogramSeries;
  upstream: HistogramSeries;
  firstByte: HistogramSeries;
  proxy: HistogramSeries;
}

function kindOf(analysis: SqlAnalysis | undefined): string {
  const first = analysis?.statements[0];
  if (!first || analysis?.error !== undefined) return 'unknown';
  return first.kind;
}
