// Reads a V8 .cpuprofile: self and inclusive time per function, mapped back to packages/*/src through the dist source maps.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, relative, resolve } from 'node:path';

const maps = new Map();

function sourceMapFor(path) {
  if (maps.has(path)) return maps.get(path);
  let map;
  try {
    if (existsSync(`${path}.map`)) map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')));
  } catch {
    map = undefined;
  }
  maps.set(path, map);
  return map;
}

/** "packages/core/src/pipeline.ts:123" for dist code, "node_modules/<pkg>/…:line" or "node:internal…" otherwise. */
function locate(callFrame, repo) {
  const { url, lineNumber, columnNumber, functionName } = callFrame;
  const name = functionName || '(anonymous)';
  if (!url) return { key: name, name, where: '' };
  if (!url.startsWith('file://')) return { key: `${name} ${url}:${lineNumber + 1}`, name, where: `${url}:${lineNumber + 1}` };
  const path = fileURLToPath(url);
  const map = path.includes('/dist/') ? sourceMapFor(path) : undefined;
  const entry = map?.findEntry(lineNumber, columnNumber);
  if (entry && entry.originalSource) {
    // tsup writes sources relative to the map's directory ("../src/pipeline.ts").
    const source = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : resolve(dirname(path), entry.originalSource);
    const where = `${shorten(source, repo)}:${entry.originalLine + 1}`;
    return { key: `${name} ${where}`, name, where };
  }
  const where = `${shorten(path, repo)}:${lineNumber + 1}`;
  return { key: `${name} ${where}`, name, where };
}

function shorten(path, repo) {
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/(.*)$/.exec(path);
  if (pnpm) return `node_modules/${pnpm[1]}`;
  const inRepo = relative(repo, path);
  return inRepo.startsWith('..') ? path : inRepo.replace(/^(\.\.\/)+/, '');
}

/**
 * Summarizes one profile: total sampled ms, the share of idle/GC/program, and the functions with the
 * most self and inclusive time.
 */
export function summarizeProfile(file, repo, top = 25, windowMs = [0, Infinity]) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const located = new Map();
  const locationOf = (node) => {
    let loc = located.get(node.id);
    if (!loc) {
      loc = locate(node.callFrame, repo);
      located.set(node.id, loc);
    }
    return loc;
  };
  const self = new Map();
  const inclusive = new Map();
  const byFile = new Map();
  let total = 0;
  let idle = 0;
  let gc = 0;
  const deltas = profile.timeDeltas;
  let at = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    // timeDeltas[i] is the time before sample i: attribute the next delta to this sample.
    at += (deltas[i] ?? 0) / 1000;
    if (at < windowMs[0] || at > windowMs[1]) continue;
    const ms = (deltas[i + 1] ?? deltas[i] ?? 0) / 1000;
    const node = nodes.get(profile.samples[i]);
    if (!node) continue;
    total += ms;
    const loc = locationOf(node);
    if (node.callFrame.functionName === '(idle)') idle += ms;
    if (node.callFrame.functionName === '(garbage collector)') gc += ms;
    const entry = self.get(loc.key) ?? { ...loc, ms: 0 };
    entry.ms += ms;
    self.set(loc.key, entry);
    const fileKey = loc.where.replace(/:\d+$/, '') || loc.name;
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + ms);
    const seen = new Set();
    for (let id = node.id; id !== undefined; id = parents.get(id)) {
      const current = nodes.get(id);
      const l = locationOf(current);
      if (seen.has(l.key) || l.name === '(root)') continue;
      seen.add(l.key);
      const e = inclusive.get(l.key) ?? { ...l, ms: 0 };
      e.ms += ms;
      inclusive.set(l.key, e);
    }
  }
  const busy = total - idle;
  const sorted = (map) => [...map.values()].sort((a, b) => b.ms - a.ms).slice(0, top);
  return {
    totalMs: total,
    idleMs: idle,
    gcMs: gc,
    busyMs: busy,
    self: sorted(self),
    inclusive: sorted(inclusive).filter((e) => !['(program)', '(idle)'].includes(e.name)),
    files: [...byFile.entries()].map(([file, ms]) => ({ file, ms })).sort((a, b) => b.ms - a.ms).slice(0, top),
  };
}

export function profileMarkdown(title, summary) {
  const pct = (ms) => `${((ms / summary.busyMs) * 100).toFixed(1)}%`;
  const row = (e) => `| ${pct(e.ms)} | ${e.ms.toFixed(0)} | \`${e.name}\` | ${e.where ? `\`${e.where}\`` : ''} |`;
  return `### ${title}

Sampled ${(summary.totalMs / 1000).toFixed(1)} s: busy ${(summary.busyMs / 1000).toFixed(1)} s (${((summary.busyMs / summary.totalMs) * 100).toFixed(0)}% of the main thread), of which GC ${pct(summary.gcMs)}. Percentages are of busy time.

Self time, top functions:

| % busy | ms | function | source |
|---:|---:|---|---|
${summary.self.filter((e) => e.name !== '(idle)').map(row).join('\n')}

Inclusive time (the function and what it calls):

| % busy | ms | function | source |
|---:|---:|---|---|
${summary.inclusive.map(row).join('\n')}

Self time by file:

| % busy | ms | file |
|---:|---:|---|
${summary.files.filter((f) => f.file !== '(idle)').map((f) => `| ${pct(f.ms)} | ${f.ms.toFixed(0)} | \`${f.file}\` |`).join('\n')}
`;
}
