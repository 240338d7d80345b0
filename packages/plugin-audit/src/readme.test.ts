// Every YAML example in the README is a valid config, and its audit options pass the plugin's schema.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseConfigText } from '@sluice/core';
import { describe, expect, it } from 'vitest';
import { optionsSchema } from './options.js';

const README = fileURLToPath(new URL('../README.md', import.meta.url));
const examples = [...readFileSync(README, 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]!);

const LISTENER = `listeners:
  - { name: pg-prod, dialect: postgres, listen: 127.0.0.1:6432, environment: prod, upstream: { host: 127.0.0.1, port: 5432, user: app } }
`;

describe('README examples', () => {
  it('there are some', () => {
    expect(examples.length).toBeGreaterThanOrEqual(7);
  });

  it.each(examples.map((example, index) => [index, example] as const))('example %i is valid config', async (_index, example) => {
    const loaded = parseConfigText(`${LISTENER}${example}`, {
      file: README,
      env: { AUDIT_DB_PASSWORD: 'pw', SIEM_TOKEN: 'token', AUDIT_SIGNING_KEY: 'pem' },
    });
    const entries = loaded.config.plugins.filter((plugin) => plugin.use === '@sluice/plugin-audit');
    expect(entries).toHaveLength(1);
    const result = await optionsSchema['~standard'].validate(entries[0]!.with ?? {});
    expect(result.issues).toBeUndefined();
  });
});
