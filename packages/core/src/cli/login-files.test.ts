import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { myCnfWithClient, pgpassWithEntry, writePrivateFile } from './login-files.js';

describe('pgpassWithEntry', () => {
  const entry = { host: 'db.example.com', port: 6432, database: '*', user: '*', password: 'tok:en\\1' };

  it('replaces the line for the same host, port, database and user and keeps the others', () => {
    const existing = '# mine\nother:5432:*:*:keep\ndb.example.com:6432:*:*:old\n\n';
    expect(pgpassWithEntry(existing, entry)).toBe('# mine\nother:5432:*:*:keep\ndb.example.com:6432:*:*:tok\\:en\\\\1\n');
  });

  it('starts a new file', () => {
    expect(pgpassWithEntry('', { ...entry, password: 'abc' })).toBe('db.example.com:6432:*:*:abc\n');
  });
});

describe('myCnfWithClient', () => {
  const entry = { host: '127.0.0.1', port: 3307, user: 'alice', password: 'a"b', tls: false };

  it('adds a [client] group', () => {
    expect(myCnfWithClient('[mysqld]\nport=3306\n', entry)).toBe('[mysqld]\nport=3306\n\n[client]\nhost=127.0.0.1\nport=3307\nuser=alice\npassword="a\\"b"\n');
  });

  it('replaces only our keys inside an existing [client] group', () => {
    const existing = '[client]\nport = 1\ndefault-character-set=utf8mb4\npassword=old\n[mysql]\nuser=x\n';
    expect(myCnfWithClient(existing, entry)).toBe('[client]\nhost=127.0.0.1\nport=3307\nuser=alice\npassword="a\\"b"\ndefault-character-set=utf8mb4\n[mysql]\nuser=x\n');
  });

  it('asks MariaDB clients for TLS in their own group, replacing an earlier TLS line there', () => {
    expect(myCnfWithClient('', { ...entry, tls: true })).toBe('[client]\nhost=127.0.0.1\nport=3307\nuser=alice\npassword="a\\"b"\n\n[client-mariadb]\nssl\n');
    const existing = '[client-mariadb]\nssl=0\nssl_ca=/etc/ca.pem\n';
    expect(myCnfWithClient(existing, { ...entry, tls: true })).toBe(
      '[client-mariadb]\nssl\nssl_ca=/etc/ca.pem\n\n[client]\nhost=127.0.0.1\nport=3307\nuser=alice\npassword="a\\"b"\n',
    );
  });
});

describe('writePrivateFile', () => {
  it('leaves the file readable by its owner only, even if it was not before', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sluice-login-')), 'pgpass');
    writeFileSync(file, 'a:1:*:*:x\n', { mode: 0o644 });
    await writePrivateFile(file, (existing) => `${existing}b:2:*:*:y\n`);
    expect(readFileSync(file, 'utf8')).toBe('a:1:*:*:x\nb:2:*:*:y\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
