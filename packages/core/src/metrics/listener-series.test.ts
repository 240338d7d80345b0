// The hand-kept series must expose exactly what prom-client's own metrics would for the same observations.
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { KeyedCounter, ListenerHistogram } from './listener-series.js';

const BOUNDS = [0.001, 0.01, 0.1, 1];
const SAMPLES: Array<[string, number]> = [['pg', 0.0005], ['pg', 0.001], ['pg', 0.05], ['my', 2], ['pg', 0.1000001], ['my', 0.01]];

describe('listener series', () => {
  it('expose a histogram as prom-client does', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const histogram = new ListenerHistogram('sluice_x_seconds', 'x', BOUNDS, ours);
    const reference = new Histogram({ name: 'sluice_x_seconds', help: 'x', labelNames: ['listener'], buckets: BOUNDS, registers: [theirs] });
    for (const [listener, value] of SAMPLES) {
      histogram.series(listener).observe(value);
      reference.observe({ listener }, value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(withoutExemplars(await ours.getMetricsAsJSON())).toEqual(withoutExemplars(await theirs.getMetricsAsJSON()));
  });

  it('expose a counter as prom-client does, and reset in place', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const counter = new KeyedCounter<'listener' | 'decision'>('sluice_y_total', 'y', ours);
    const reference = new Counter({ name: 'sluice_y_total', help: 'y', labelNames: ['listener', 'decision'], registers: [theirs] });
    for (const [listener, decision] of [['pg', 'allow'], ['pg', 'deny'], ['pg', 'allow'], ['my', 'allow']] as const) {
      const cell = counter.cell(`${listener}/${decision}`, () => ({ listener, decision }));
      cell.value++;
      reference.inc({ listener, decision });
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    ours.resetMetrics();
    expect(await ours.metrics()).toContain('sluice_y_total{listener="pg",decision="allow"} 0');
  });
});

/** prom-client writes `exemplar: null` where no exemplar is kept; the hand-kept series leave the key out. */
function withoutExemplars(metrics: unknown[]): unknown[] {
  return JSON.parse(JSON.stringify(metrics, (key, value: unknown) => (key === 'exemplar' ? undefined : value))) as unknown[];
}
