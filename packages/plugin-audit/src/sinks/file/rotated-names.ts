// Names of rotated trail files: `audit.jsonl` becomes `audit.20251123T054800Z.1001.jsonl` (start time, first seq).
import { basename, dirname, extname, join } from 'node:path';

export function rotatedName(activePath: string, firstTs: Date, firstSeq: number): string {
  const { stem, ext } = split(activePath);
  const stamp = firstTs.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return join(dirname(activePath), `${stem}.${stamp}.${firstSeq}${ext}`);
}

/** The first seq encoded in a rotated file's name, when `name` is one of `activePath`'s rotated files. */
export function rotatedFirstSeq(activePath: string, name: string): number | undefined {
  const { stem, ext } = split(activePath);
  const pattern = new RegExp(`^${escape(stem)}\\.\\d{8}T\\d{6}Z\\.(\\d+)${escape(ext)}$`);
  const match = pattern.exec(name);
  return match ? Number(match[1]) : undefined;
}

function split(path: string): { stem: string; ext: string } {
  const name = basename(path);
  const ext = extname(name);
  return { stem: ext ? name.slice(0, -ext.length) : name, ext };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
