import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../config/index.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('\n## Identity\n'), readme.indexOf('\n## ', readme.indexOf('\n## Identity\n') + 1));
const examples = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]!);

describe('the Identity section of the README', () => {
  it('has examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
  });

  it.each(examples.map((text, index) => [index, text] as const))('example %i is a valid config', (_index, text) => {
    const env = new Proxy({}, { get: (_target, name) => (typeof name === 'string' ? `value-of-${name}` : undefined), has: () => true });
    expect(() => parseConfigText(text, { file: '/etc/sluice/sluice.yaml', env })).not.toThrow();
  });
});
