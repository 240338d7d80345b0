// docs/plugins.md and the "Writing a plugin" section of core's README: every code sample is a real
// file (or a marked region of one) that its own tests run, every YAML sample loads, every link resolves.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfigText } from '@sluice/core';
import { createPluginHarness } from '@sluice/core/testing';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const guide = join(root, 'docs/plugins.md');
const readme = join(root, 'packages/core/README.md');

function readmeSection(): string {
  const text = readFileSync(readme, 'utf8');
  const start = text.indexOf('## Writing a plugin\n');
  return text.slice(start, text.indexOf('\n## ', start + 1));
}

interface Block {
  readonly lang: string;
  readonly body: string;
  readonly sample?: string;
}

function blocks(markdown: string): Block[] {
  const found: Block[] = [];
  for (const match of markdown.matchAll(/(?:<!-- sample: (\S+) -->\n)?```(\w*)\n([\s\S]*?)```/g)) {
    found.push({ lang: match[2]!, body: match[3]!, ...(match[1] ? { sample: match[1] } : {}) });
  }
  return found;
}

/** A whole file, or the lines between `// #region <name>` and `// #endregion`, dedented. */
function sampleText(reference: string): string {
  const [path, region] = reference.split('#') as [string, string | undefined];
  const text = readFileSync(join(root, path), 'utf8');
  if (region === undefined) return text;
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.trim() === `// #region ${region}`);
  const end = lines.findIndex((line, i) => i > start && line.trim() === '// #endregion');
  expect(start, `region ${region} in ${path}`).toBeGreaterThanOrEqual(0);
  const body = lines.slice(start + 1, end);
  const indent = Math.min(...body.filter((line) => line.trim() !== '').map((line) => line.length - line.trimStart().length));
  return `${body.map((line) => line.slice(indent)).join('\n')}\n`;
}

const documents = [
  ['docs/plugins.md', readFileSync(guide, 'utf8')],
  ['the README section', readmeSection()],
] as const;

describe.each(documents)('%s', (_name, markdown) => {
  const all = blocks(markdown);

  it('shows only code that is a real, tested file', () => {
    const code = all.filter((block) => ['js', 'ts', 'javascript', 'typescript'].includes(block.lang));
    expect(code.length).toBeGreaterThan(0);
    for (const block of code) {
      expect(block.sample, `a code block without a sample marker:\n${block.body}`).toBeDefined();
      expect(block.body).toBe(sampleText(block.sample!));
      const file = block.sample!.split('#')[0]!;
      // Each sample has tests: its own beside it, or those of the example plugin it comes from.
      const tests = file.startsWith('examples/guide/') && !file.endsWith('.test.ts') ? [file.replace(/\.js$/, '.test.ts')] : [];
      for (const test of tests) expect(existsSync(join(root, test)), test).toBe(true);
    }
  });

  it('shows only YAML that loads, plugins and options included', async () => {
    const yaml = all.filter((block) => block.lang === 'yaml');
    for (const block of yaml) {
      const text = block.body.includes('listeners:')
        ? block.body
        : `listeners:\n  - { name: l, dialect: postgres, listen: 127.0.0.1:0, upstream: { host: 127.0.0.1, port: 5432 } }\n${block.body}`;
      const loaded = parseConfigText(text, { file: join(root, 'sluice.yaml'), env: {} });
      for (const entry of loaded.config.plugins) {
        const harness = await createPluginHarness({ use: entry.use, with: entry.with ?? {} }, { configDir: root });
        await harness.close();
      }
    }
  });
});

describe('docs/plugins.md', () => {
  const markdown = readFileSync(guide, 'utf8');

  it('links only to files and headings that exist', () => {
    const headings = new Set(
      [...markdown.matchAll(/^#+ (.+)$/gm)].map((match) =>
        match[1]!
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    for (const [, target] of markdown.matchAll(/\]\(([^)]+)\)/g)) {
      if (/^https?:/.test(target!)) continue;
      const [path, anchor] = target!.split('#') as [string, string | undefined];
      if (path === '') expect(headings.has(anchor!), `#${anchor}`).toBe(true);
      else expect(existsSync(resolve(dirname(guide), path)), path).toBe(true);
    }
  });

  it('quotes the denial and failure texts the harness really produces', async () => {
    const h = await createPluginHarness([{ name: 'p', onQuery: () => { throw new Error('boom'); } }]);
    const denied = await (await h.connect()).query('SELECT 1');
    expect(markdown).toContain('`sluice: <plugin>: plugin <plugin> failed`');
    expect(denied.error?.message).toBe('sluice: p: plugin p failed');
    const withheld = await createPluginHarness({ name: 'm', onMessage: () => { throw new Error('x'); } });
    expect((await withheld.connect()).message({ message: 'secret' }).message).toBe("sluice: the server's error was withheld because plugin m failed");
    expect(markdown).toContain("`sluice: the server's error was withheld because plugin <name> failed`");
  });
});
