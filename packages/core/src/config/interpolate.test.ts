import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from './index.js';
import { interpolate, interpolateString } from './interpolate.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-interpolate-'));
  await mkdir(path.join(dir, 'secrets'));
  await writeFile(path.join(dir, 'secrets', 'pg'), 'from-file\n');
  await writeFile(path.join(dir, 'secrets', 'two-newlines'), 'kept\n\n');
  await writeFile(path.join(dir, 'secrets', 'crlf'), 'windows\r\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const env = { USER_NAME: 'app', HOST: 'db.internal', EMPTY: '', TRICKY: 'a: [b, ${env:HOST}\n- c' };
const context = () => ({ env, baseDir: dir });

describe('interpolateString', () => {
  it.each([
    ['${env:USER_NAME}', 'app'],
    ['postgres://${env:USER_NAME}@${env:HOST}:5432', 'postgres://app@db.internal:5432'],
    ['[${env:EMPTY}]', '[]'],
    ['$${env:USER_NAME}', '${env:USER_NAME}'],
    ['cost: $5, $${literal}, ${env:USER_NAME}$', 'cost: $5, ${literal}, app$'],
    ['no references', 'no references'],
    ['${file:secrets/pg}', 'from-file'],
    ['${file:./secrets/two-newlines}', 'kept\n'],
    ['${file:secrets/crlf}!', 'windows!'],
  ])('%j becomes %j', (text, expected) => {
    expect(interpolateString(text, context())).toEqual({ ok: true, value: expected });
  });

  it('reads an absolute file path as is', () => {
    expect(interpolateString(`\${file:${path.join(dir, 'secrets', 'pg')}}`, { env, baseDir: '/elsewhere' })).toEqual({
      ok: true,
      value: 'from-file',
    });
  });

  it('does not interpolate a resolved value again, whatever it contains', () => {
    expect(interpolateString('${env:TRICKY}', context())).toEqual({ ok: true, value: env.TRICKY });
  });

  it.each([
    ['${env:MISSING}', 'environment variable MISSING is not set'],
    ['x ${env:USER_NAME} ${env:MISSING}', 'environment variable MISSING is not set'],
    ['${env:}', 'invalid environment variable name in ${env:NAME}'],
    ['${env:not-a-name}', 'invalid environment variable name in ${env:NAME}'],
    ['${file:}', 'missing file path in ${file:PATH}'],
    ['${file:secrets/none}', 'cannot read file secrets/none: no such file'],
    ['${file:secrets}', 'cannot read file secrets: is a directory'],
    ['${vault:kv/pg}', 'unsupported interpolation (use ${env:NAME} or ${file:PATH}, or $${ for a literal ${)'],
    ['${HOME}', 'unsupported interpolation (use ${env:NAME} or ${file:PATH}, or $${ for a literal ${)'],
    ['abc ${env:HOST', 'unterminated ${ (use ${env:NAME} or ${file:PATH}, or $${ for a literal ${)'],
  ])('%j fails: %s', (text, message) => {
    expect(interpolateString(text, context())).toEqual({ ok: false, message });
  });
});

describe('interpolate', () => {
  it('interpolates string values at any depth, but not keys or other scalars', () => {
    const data = { '${env:HOST}': 1, list: ['${env:USER_NAME}', 2, true, null, { deep: '${env:HOST}' }] };
    expect(interpolate(data, context())).toEqual({
      value: { '${env:HOST}': 1, list: ['app', 2, true, null, { deep: 'db.internal' }] },
      issues: [],
    });
  });

  it('reports every failing string with its path, keeping it unchanged', () => {
    const data = { a: ['${env:NOPE}', 'ok'], b: { c: '${file:nope}' } };
    expect(interpolate(data, context())).toEqual({
      value: data,
      issues: [
        { path: ['a', 0], message: 'environment variable NOPE is not set' },
        { path: ['b', 'c'], message: 'cannot read file nope: no such file' },
      ],
    });
  });
});

describe('interpolation in a config file', () => {
  const text = `
listeners:
  - name: pg
    dialect: postgres
    listen: 127.0.0.1:6432
    upstream:
      host: \${env:HOST}
      port: \${env:PG_PORT}
      user: \${env:USER_NAME}
      password: \${env:PG_APP_PASSWORD}
      database: \${file:secrets/pg}
`;
  const file = () => path.join(dir, 'sluice.yaml');

  it('resolves env and file references, files relative to the config file', () => {
    const loaded = parseConfigText(text, { file: file(), env: { ...env, PG_PORT: '5433', PG_APP_PASSWORD: 'pw: [x' } });
    expect(loaded.config.listeners[0]?.upstream).toEqual({
      host: 'db.internal',
      port: 5433,
      user: 'app',
      password: 'pw: [x',
      database: 'from-file',
      tls: 'prefer',
    });
  });

  it('uses process.env when no env is given', () => {
    process.env.SLUICE_TEST_PG_PORT = '5434';
    try {
      const onlyPort = text.replace('PG_PORT', 'SLUICE_TEST_PG_PORT').replace(/\$\{env:(HOST|USER_NAME|PG_APP_PASSWORD)\}/g, 'x');
      expect(parseConfigText(onlyPort, { file: file() }).config.listeners[0]?.upstream.port).toBe(5434);
    } finally {
      delete process.env.SLUICE_TEST_PG_PORT;
    }
  });

  it('names the key path and line of a missing variable or file, without piling schema errors on top', () => {
    const error = (() => {
      try {
        parseConfigText(text.replace('secrets/pg', 'secrets/missing'), { file: file(), env });
      } catch (caught) {
        return caught as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.issues).toEqual([
      { path: 'listeners[0].upstream.port', line: 8, column: 13, message: 'environment variable PG_PORT is not set' },
      { path: 'listeners[0].upstream.password', line: 10, column: 17, message: 'environment variable PG_APP_PASSWORD is not set' },
      { path: 'listeners[0].upstream.database', line: 11, column: 17, message: 'cannot read file secrets/missing: no such file' },
    ]);
    expect(error.message).toContain(
      `${file()}:10:17: listeners[0].upstream.password: environment variable PG_APP_PASSWORD is not set`,
    );
  });
});
