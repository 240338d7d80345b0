// Every masking config and every maskText example in the README is valid and does what it says.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { maskText } from './mask-text.js';
import { optionsSchema } from './options.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const yamlBlocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('README', () => {
  it('has configuration examples', () => {
    expect(yamlBlocks.length).toBeGreaterThanOrEqual(4);
  });

  it.each(yamlBlocks.map((block, i) => [i, block] as const))('example %i is a valid masking config', async (_i, block) => {
    // Sluice interpolates ${env:…} before plugins see their options.
    const config = parse(block.replace(/\$\{env:[A-Z_]+\}/g, 'a-hash-key-from-the-environment')) as { plugins: { use: string; with?: unknown }[] };
    const entries = config.plugins.filter((p) => p.use === '@sluice/plugin-masking');
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) {
      const result = await optionsSchema['~standard'].validate(entry.with ?? {});
      expect(result.issues).toBeUndefined();
    }
  });

  it('shows what maskText really returns', () => {
    const example = /maskText\('([^']+)'\); \/\/ '([^']+)'/.exec(readme);
    expect(example).not.toBeNull();
    expect(maskText(example![1]!)).toBe(example![2]);
  });
});
