// The results as one hand-written SVG: pgbench TPS relative to direct, p99 latency, and the proxy's RSS under the slow reader.
import { summarize } from './report.mjs';

const COLORS = { direct: '#6b7280', pgbouncer: '#2563eb', sluice: '#16a34a', 'sluice-ag': '#d97706', 'sluice-agm': '#dc2626', 'sluice-x2': '#86efac', 'sluice-agm-x2': '#fca5a5' };
const WIDTH = 1280;
const LEFT = 70;
const RIGHT = 20;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';

const escape = (text) => String(text).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

function text(x, y, content, attributes = '') {
  const size = attributes.includes('font-size') ? '' : 'font-size="12" ';
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${FONT} ${size}${attributes}>${escape(content)}</text>`;
}

/** The legend, wrapped onto as many rows as it needs; returns the SVG and the y below it. */
function legend(targets, y) {
  let x = LEFT;
  const parts = [];
  for (const target of targets) {
    const label = target.skipped ? `${target.label} (skipped)` : target.label;
    const width = 26 + label.length * 6.6;
    if (x + width > WIDTH - RIGHT && x > LEFT) {
      x = LEFT;
      y += 18;
    }
    parts.push(`<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${COLORS[target.key] ?? '#999'}" ${target.skipped ? 'fill-opacity="0.25"' : ''}/>`);
    parts.push(text(x + 16, y, label));
    x += width;
  }
  return { svg: parts.join('\n'), bottom: y };
}

/** Grouped bars, one group per pgbench cell; `value(summary, cell)` gives the bar's height in the panel's unit. */
function barPanel({ top, height, title, cells, targets, value, axis, label }) {
  const parts = [text(LEFT, top - 8, title, 'font-weight="600" font-size="14"')];
  const plotWidth = WIDTH - LEFT - RIGHT;
  const groupWidth = plotWidth / Math.max(1, cells.length);
  const live = targets.filter((t) => !t.skipped);
  const barWidth = Math.max(3, (groupWidth * 0.8) / Math.max(1, live.length));
  const bottom = top + height;
  for (const tick of axis.ticks) {
    const y = bottom - axis.scale(tick) * height;
    parts.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y}" y2="${y}" stroke="#e5e7eb"/>`);
    parts.push(text(LEFT - 6, y + 4, axis.format(tick), 'text-anchor="end" fill="#374151"'));
  }
  if (axis.reference !== undefined) {
    const y = bottom - axis.scale(axis.reference) * height;
    parts.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y}" y2="${y}" stroke="#111827" stroke-dasharray="4 3"/>`);
  }
  cells.forEach((cell, i) => {
    const x0 = LEFT + i * groupWidth + groupWidth * 0.1;
    live.forEach((target, j) => {
      const s = summarize(cell.runs[target.key]);
      const v = s && !s.error ? value(s, cell) : undefined;
      const x = x0 + j * barWidth;
      if (v === undefined || !Number.isFinite(v)) {
        parts.push(text(x + barWidth / 2, bottom - 4, '×', `text-anchor="middle" fill="${COLORS[target.key]}"`));
        return;
      }
      const h = Math.max(1, Math.min(1, axis.scale(v)) * height);
      parts.push(`<rect x="${x.toFixed(1)}" y="${(bottom - h).toFixed(1)}" width="${(barWidth - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[target.key] ?? '#999'}"><title>${escape(`${target.label}: ${label(v)}`)}</title></rect>`);
    });
    const name = `${cell.script === 'select-only' ? '-S' : 'TPC-B'} ${cell.protocol === 'simple' ? 'simple' : 'prep'} c${cell.clients}`;
    parts.push(text(LEFT + i * groupWidth + groupWidth / 2, bottom + 16, name, 'text-anchor="middle" font-size="11" fill="#374151"'));
  });
  parts.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${bottom}" y2="${bottom}" stroke="#111827"/>`);
  return parts.join('\n');
}

function linearAxis(max, format) {
  const step = niceStep(max / 5);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const ticks = [];
  for (let t = 0; t <= top + 1e-9; t += step) ticks.push(t);
  return { ticks, scale: (v) => v / top, format };
}

function logAxis(min, max, format) {
  const low = Math.floor(Math.log10(Math.max(min, 1e-3)));
  const high = Math.ceil(Math.log10(Math.max(max, min * 10)));
  const ticks = [];
  for (let e = low; e <= high; e++) ticks.push(10 ** e);
  return { ticks, scale: (v) => (Math.log10(Math.max(v, 10 ** low)) - low) / (high - low), format };
}

function niceStep(raw) {
  const power = 10 ** Math.floor(Math.log10(raw || 1));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? power * 10;
}

function rssPanel({ top, height, runs }) {
  const parts = [text(LEFT, top - 8, 'Proxy RSS while a large result streams (slow reader test), MB over seconds', 'font-weight="600" font-size="14"')];
  const withSamples = runs.filter((r) => r.samples?.length);
  if (withSamples.length === 0) return parts.concat(text(LEFT, top + 20, 'not run')).join('\n');
  const maxSeconds = Math.max(...withSamples.map((r) => r.samples.at(-1)[0]), 1);
  const maxMb = Math.max(...withSamples.map((r) => Math.max(...r.samples.map(([, rss]) => rss)) / 2 ** 20), 1);
  const y = linearAxis(maxMb * 1.1, (v) => `${v.toFixed(0)}`);
  const x = linearAxis(maxSeconds, (v) => `${v.toFixed(0)}s`);
  const plotWidth = WIDTH - LEFT - RIGHT - 400;
  const bottom = top + height;
  for (const tick of y.ticks) {
    const yy = bottom - y.scale(tick) * height;
    parts.push(`<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${yy}" y2="${yy}" stroke="#e5e7eb"/>`, text(LEFT - 6, yy + 4, y.format(tick), 'text-anchor="end" fill="#374151"'));
  }
  for (const tick of x.ticks) parts.push(text(LEFT + x.scale(tick) * plotWidth, bottom + 16, x.format(tick), 'text-anchor="middle" font-size="11" fill="#374151"'));
  withSamples.forEach((run, i) => {
    const points = run.samples.map(([t, rss]) => `${(LEFT + x.scale(t) * plotWidth).toFixed(1)},${(bottom - y.scale(rss / 2 ** 20) * height).toFixed(1)}`).join(' ');
    const dashed = run.speed === 'full speed' ? '' : 'stroke-dasharray="6 3"';
    parts.push(`<polyline fill="none" stroke="${COLORS[run.key] ?? '#999'}" stroke-width="2" ${dashed} points="${points}"/>`);
    parts.push(`<line x1="${LEFT + plotWidth + 20}" x2="${LEFT + plotWidth + 44}" y1="${top + 10 + i * 18}" y2="${top + 10 + i * 18}" stroke="${COLORS[run.key] ?? '#999'}" stroke-width="2" ${dashed}/>`);
    parts.push(text(LEFT + plotWidth + 50, top + 14 + i * 18, `${run.label.replace(/^Sluice, /, '')}, ${run.speed} (${Math.round(run.megabytes)} MB)`, 'font-size="11"'));
  });
  parts.push(`<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${bottom}" y2="${bottom}" stroke="#111827"/>`);
  return parts.join('\n');
}

export function renderChart(results) {
  const cells = results.pgbench ?? [];
  const targets = results.targets ?? [];
  const panel = 260;
  const parts = [];
  parts.push(text(LEFT, 24, `Sluice benchmarks — ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${results.mode} run, ${results.machine.cpus} cores shared by pgbench, PostgreSQL and the proxy`, 'font-weight="700" font-size="16"'));
  const key = legend(targets, 48);
  parts.push(key.svg);
  let top = key.bottom + 44;
  if (cells.length) {
    const ratios = cells.flatMap((cell) => {
      const direct = summarize(cell.runs.direct);
      return targets.map((t) => summarize(cell.runs[t.key])).filter((s) => s && !s.error && direct && !direct.error).map((s) => s.tps / direct.tps);
    });
    parts.push(
      barPanel({
        top,
        height: panel,
        title: 'pgbench TPS relative to a direct connection (dashed line: direct = 100%)',
        cells,
        targets,
        value: (s, cell) => {
          const direct = summarize(cell.runs.direct);
          return direct && !direct.error ? (s.tps / direct.tps) * 100 : undefined;
        },
        axis: { ...linearAxis(Math.max(100, ...ratios.map((r) => r * 100)), (v) => `${v.toFixed(0)}%`), reference: 100 },
        label: (v) => `${v.toFixed(0)}% of direct`,
      }),
    );
    top += panel + 70;
    const p99s = cells.flatMap((cell) => targets.map((t) => summarize(cell.runs[t.key])).filter((s) => s && !s.error).map((s) => s.p99Ms));
    parts.push(
      barPanel({
        top,
        height: panel,
        title: 'pgbench p99 transaction latency, ms (log scale)',
        cells,
        targets,
        value: (s) => s.p99Ms,
        axis: logAxis(Math.min(...p99s, 0.1), Math.max(...p99s, 1), (v) => (v >= 1 ? `${v}` : `${v}`)),
        label: (v) => `${v.toFixed(2)} ms`,
      }),
    );
    top += panel + 70;
  }
  parts.push(rssPanel({ top, height: 220, runs: results.slowReader?.runs ?? [] }));
  top += 220 + 40;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${top}" viewBox="0 0 ${WIDTH} ${top}">
<rect width="100%" height="100%" fill="white"/>
${parts.join('\n')}
</svg>
`;
}
