// The one tsup setup every package builds with: ESM for Node 20, type declarations, source maps.
import type { Options } from 'tsup';

export function packageBuild(entry: string[] = ['src/index.ts'], declarations: string[] = entry): Options {
  return { entry, format: ['esm'], target: 'node20', dts: { entry: declarations }, sourcemap: true, clean: true };
}
