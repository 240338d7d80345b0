import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from './index.js';

// Distinctive enough that any echo of it, or of a part of it, is caught.
const SECRET = 'Hunter2-s3cr3t';
const SECRET_PARTS = [SECRET, 'Hunter2', 's3cr3t'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-secrets-'));
  await writeFile(path.join(dir, 'secret.txt'), `${SECRET}\n`);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const listener = (fields: Record<string, string>) => {
  const values = { name: 'pg', dialect: 'postgres', listen: '127.0.0.1:6432', host: 'db', port: '5432', tls: 'prefer', ...fields };
  return `
listeners:
  - name: ${values.name}
    dialect: ${values.dialect}
    listen: ${values.listen}
    upstream:
      host: ${values.host}
      port: ${values.port}
      tls: ${values.tls}
`;
};

const CASES: Record<string, string> = {
  'port from env': listener({ port: '${env:SECRET}' }),
  'port from file': listener({ port: '${file:secret.txt}' }),
  'tls mode from env': listener({ tls: '${env:SECRET}' }),
  'listen address from env': listener({ listen: '${env:SECRET}' }),
  'listen address with a secret host': listener({ listen: `"${SECRET}!:99999"` }),
  'listener name from env': listener({ name: '"${env:SECRET}/x"' }),
  'dialect from env': listener({ dialect: '${env:SECRET}' }),
  'duplicate listener names from env': `${listener({ name: '${env:SECRET}' })}${listener({ name: '${env:SECRET}' }).replace('listeners:\n', '')}`,
  'duration from env': `${listener({})}timeouts: { connect: "\${env:SECRET}" }\n`,
  'oidc issuer from env': `${listener({})}identity: { oidc: { issuer: "\${env:SECRET}", audience: a } }\n`,
  'password of the wrong type': `${listener({})}identity: { users: [ { name: a, password: [${SECRET}] } ] }\n`,
  'groups of the wrong type': `${listener({})}identity: { users: [ { name: a, password: x, groups: ${SECRET} } ] }\n`,
  'empty password next to a secret': `${listener({})}identity: { users: [ { name: a, password: "" }, { name: a, password: ${SECRET} } ] }\n`,
  'plugin options of the wrong type': `${listener({})}plugins: [ { use: x, with: ${SECRET} } ]\n`,
  'unknown key holding a secret': `${listener({})}    passwd: ${SECRET}\n`,
  'missing variable next to a secret': listener({ host: `${SECRET}\${env:MISSING}` }),
  'unsupported reference next to a secret': listener({ host: `${SECRET}\${vault:${SECRET}}` }),
  'unterminated reference next to a secret': listener({ host: `${SECRET}\${env:${SECRET}` }),
  'YAML: bad block scalar header': listener({ host: `|${SECRET}` }),
  'YAML: bad escape in a quoted secret': listener({ host: `"${SECRET}\\q"` }),
  'YAML: unterminated quoted secret': listener({ host: `"${SECRET}` }),
  'YAML: secret that looks like a mapping': listener({ host: `${SECRET}: x` }),
  'YAML: secret after a flow indicator': listener({ host: `[${SECRET}` }),
  'YAML: duplicate key holding a secret': listener({ host: `${SECRET}\n      host: ${SECRET}` }),
};

describe('secrets in error messages', () => {
  it.each(Object.entries(CASES))('%s: the ConfigError never contains the value', (_name, text) => {
    let error: unknown;
    try {
      parseConfigText(text, { file: path.join(dir, 'sluice.yaml'), env: { SECRET } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.issues.length).toBeGreaterThan(0);
    const everythingShown = [configError.message, String(configError.stack), JSON.stringify(configError.issues), inspect(configError)];
    for (const shown of everythingShown) {
      for (const part of SECRET_PARTS) expect(shown).not.toContain(part);
    }
  });
});
