// Per-statement metrics kept in plain numbers per listener and handed to the registry only when
// /metrics is scraped. prom-client's observe()/inc() hash and validate a label object on every
// call, which cost 5-8% of the proxy's CPU on short statements; these cost an array walk.
import type { Metric, Registry } from 'prom-client';

interface MetricValue {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

/** What the registry reads from a metric when it is scraped (prom-client's `get()` contract). */
abstract class ScrapedMetric {
  readonly aggregator = 'sum';
  abstract readonly type: 'counter' | 'histogram';

  constructor(
    readonly name: string,
    readonly help: string,
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  protected abstract values(): MetricValue[];
  abstract reset(): void;

  async get(): Promise<{ name: string; help: string; type: string; values: MetricValue[]; aggregator: string }> {
    return { name: this.name, help: this.help, type: this.type, values: this.values(), aggregator: this.aggregator };
  }
}

export class HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly listener: string,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let index = 0;
    while (index < bounds.length && value > bounds[index]!) index++;
    if (index < bounds.length) this.counts[index]!++;
    this.sum += value;
    this.count++;
  }
}

/** A histogram with one label, `listener`, whose series callers keep a reference to. */
export class ListenerHistogram extends ScrapedMetric {
  readonly type = 'histogram';
  #series = new Map<string, HistogramSeries>();

  constructor(name: string, help: string, private readonly bounds: readonly number[], registry: Registry) {
    super(name, help, registry);
  }

  series(listener: string): HistogramSeries {
    let series = this.#series.get(listener);
    if (!series) this.#series.set(listener, (series = new HistogramSeries(listener, this.bounds)));
    return series;
  }

  /** Zeroes in place: callers keep references to their series. */
  reset(): void {
    for (const series of this.#series.values()) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }

  protected values(): MetricValue[] {
    const values: MetricValue[] = [];
    for (const series of this.#series.values()) {
      const { listener } = series;
      let cumulative = 0;
      this.bounds.forEach((le, index) => {
        cumulative += series.counts[index]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le, listener }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', listener }, value: series.count });
      values.push({ metricName: `${this.name}_sum`, labels: { listener }, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels: { listener }, value: series.count });
    }
    return values;
  }
}

/** A counter whose label values callers look up once per combination and then increment directly. */
export class KeyedCounter<L extends string> extends ScrapedMetric {
  readonly type = 'counter';
  #cells = new Map<string, { labels: Record<L, string>; value: number }>();

  cell(key: string, labels: () => Record<L, string>): { value: number } {
    let cell = this.#cells.get(key);
    if (!cell) this.#cells.set(key, (cell = { labels: labels(), value: 0 }));
    return cell;
  }

  reset(): void {
    for (const cell of this.#cells.values()) cell.value = 0;
  }

  protected values(): MetricValue[] {
    return [...this.#cells.values()].map(({ labels, value }) => ({ labels, value }));
  }
}
