// What a plugin gets as `context.metrics`: counters, gauges and histograms on the Sluice's own registry, kept across reloads.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type MetricLabels = Readonly<Record<string, string | number>>;

export interface MetricCounter {
  inc(labels?: MetricLabels, value?: number): void;
}

export interface MetricGauge {
  set(labels: MetricLabels, value: number): void;
  /** Forgets every labelled value (e.g. before a collect sets the current ones). */
  reset(): void;
}

export interface MetricHistogram {
  observe(labels: MetricLabels, value: number): void;
}

interface MetricOptions {
  /** Must start with `sluice_`, e.g. `sluice_audit_sink_pending_records`. Lowercase letters, digits and `_`. */
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly string[];
}

/**
 * Metrics a plugin registers, served at the admin API's `/metrics`. Registering a name again (the
 * same plugin after a reload) returns the existing metric, so counters do not restart at a reload.
 */
export interface PluginMetrics {
  counter(options: MetricOptions): MetricCounter;
  /** `collect` runs at every scrape: set the current values there (sizes, lags, queue lengths). */
  gauge(options: MetricOptions & { readonly collect?: (gauge: MetricGauge) => void | Promise<void> }): MetricGauge;
  /** `buckets` in the metric's unit (seconds for durations); prom-client's defaults when absent. */
  histogram(options: MetricOptions & { readonly buckets?: readonly number[] }): MetricHistogram;
}

const NAME = /^sluice_[a-z0-9_]+$/;

type Kind = 'counter' | 'gauge' | 'histogram';

interface Entry {
  readonly kind: Kind;
  readonly labels: string;
  readonly metric: Counter | Gauge | Histogram;
  /** The gauge's current collect callback: replaced by the plugin instance of a reload. */
  collect?: ((gauge: MetricGauge) => void | Promise<void>) | undefined;
  generation: number;
}

/** The registry side of PluginMetrics: one per Sluice, shared by every plugin generation. */
export class PluginMetricRegistry {
  readonly #registry: Registry;
  readonly #reserved: (name: string) => boolean;
  readonly #entries = new Map<string, Entry>();
  #generation = 0;

  constructor(registry: Registry, reserved: (name: string) => boolean) {
    this.#registry = registry;
    this.#reserved = reserved;
  }

  /** The API for the plugins of one config generation (a start or a reload). */
  forGeneration(): PluginMetrics {
    const generation = ++this.#generation;
    return {
      counter: (options) => {
        const counter = this.#entry('counter', options, generation).metric as Counter;
        return { inc: (labels, value = 1) => (labels === undefined ? counter.inc(value) : counter.inc(labels, value)) };
      },
      gauge: (options) => {
        const entry = this.#entry('gauge', options, generation);
        entry.collect = options.collect;
        return gaugeView(entry.metric as Gauge);
      },
      histogram: (options) => {
        const histogram = this.#entry('histogram', options, generation).metric as Histogram;
        return { observe: (labels, value) => histogram.observe(labels, value) };
      },
    };
  }

  /** After a reload: gauges the new plugins did not register again leave the registry. */
  retireOldGauges(): void {
    for (const [name, entry] of this.#entries) {
      if (entry.kind === 'gauge' && entry.generation < this.#generation) {
        entry.collect = undefined;
        this.#registry.removeSingleMetric(name);
        this.#entries.delete(name);
      }
    }
  }

  #entry(kind: Kind, options: MetricOptions & { buckets?: readonly number[] }, generation: number): Entry {
    const { name, help } = options;
    const labelNames = [...(options.labelNames ?? [])];
    if (!NAME.test(name)) throw new Error(`metric name ${JSON.stringify(name)} must match ${NAME.source}`);
    if (this.#reserved(name)) throw new Error(`metric name ${name} belongs to core`);
    const labels = labelNames.join(',');
    const existing = this.#entries.get(name);
    if (existing) {
      if (existing.kind !== kind || existing.labels !== labels) {
        throw new Error(`metric ${name} is already registered as a ${existing.kind} with labels [${existing.labels}]`);
      }
      existing.generation = generation;
      return existing;
    }
    const registers = [this.#registry];
    let entry: Entry;
    if (kind === 'counter') {
      entry = { kind, labels, generation, metric: new Counter({ name, help, labelNames, registers }) };
    } else if (kind === 'histogram') {
      const buckets = options.buckets ? [...options.buckets] : undefined;
      entry = { kind, labels, generation, metric: new Histogram({ name, help, labelNames, registers, ...(buckets ? { buckets } : {}) }) };
    } else {
      const holder: { entry?: Entry } = {};
      const gauge: Gauge = new Gauge({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          await holder.entry?.collect?.(gaugeView(gauge));
        },
      });
      entry = { kind, labels, generation, metric: gauge };
      holder.entry = entry;
    }
    this.#entries.set(name, entry);
    return entry;
  }
}

function gaugeView(gauge: Gauge): MetricGauge {
  return { set: (labels, value) => gauge.set(labels, value), reset: () => gauge.reset() };
}
