// The files of a file sink's trail: the active file and its rotated files, newest first.
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { rotatedFirstSeq } from '../sinks/file/rotated-names.js';

export interface TrailFileRef {
  readonly path: string;
  /** The first seq its name gives (rotated files); undefined for the active file, which is the newest. */
  readonly firstSeq?: number;
}

/** Newest first: the active file, then rotated files by descending first seq. Missing files are left out. */
export async function trailFiles(activePath: string): Promise<TrailFileRef[]> {
  const dir = dirname(activePath);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const rotated = names
    .map((name) => ({ path: join(dir, name), firstSeq: rotatedFirstSeq(activePath, name) }))
    .filter((file): file is { path: string; firstSeq: number } => file.firstSeq !== undefined)
    .sort((a, b) => b.firstSeq - a.firstSeq);
  return [...(names.includes(basename(activePath)) ? [{ path: activePath }] : []), ...rotated];
}
