// Session behaviour through a running Sluice with plugins: denials, attention while a statement is judged, rows rewritten by onRow, refused logins.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, parseConfigText, Sluice } from '@sluice/core';
import { DoneStatus, PacketType } from './codes.js';
import { Cursor } from './cursor.js';
import { createDriver } from './index.js';
import { packetize } from './packet.js';
import { ScriptedServer, sqlBatchPacket, textResult, tokensOf, WireClient } from './testing/wire.js';
import type { StreamToken } from './token-stream.js';
import { rowValueRanges } from './tokens.js';
import { readValue } from './type-info.js';
import { valueText } from './values.js';

const PLUGIN = `
export default function () {
  return {
    name: 'test-policy',
    async onQuery(session, query) {
      if (query.sql.includes('slow')) await new Promise((resolve) => setTimeout(resolve, 800));
      if (query.sql.includes('forbidden')) return { action: 'deny', reason: 'not today', rule: 'no-forbidden' };
      return undefined;
    },
    onResultSet(session, query, resultSet) {
      return resultSet.columns[0]?.name === 'email' ? { columns: [0] } : undefined;
    },
    onRow(session, row) {
      return [String(row.values[0]).replace(/^[^@]*/, '****')];
    },
  };
}
`;

let scripted: ScriptedServer;
let sluice: Sluice;
let port: number;
const batches: string[] = [];

beforeAll(async () => {
  scripted = await ScriptedServer.start((sql) => {
    batches.push(sql);
    if (sql === 'truncated') return Buffer.concat([textResult('v', ['a row before']).subarray(0, -13), Buffer.from('aaff7f0000', 'hex')]);
    return sql.startsWith('emails') ? textResult('email', ['ada@example.com', 'grace@example.org']) : textResult('v', [sql]);
  });
  const dir = mkdtempSync(join(tmpdir(), 'sluice-mssql-session-'));
  writeFileSync(join(dir, 'policy.mjs'), PLUGIN);
  const yaml = `
listeners:
  - name: tds-session
    dialect: mssql
    listen: 127.0.0.1:0
    upstream: { host: 127.0.0.1, port: ${scripted.port}, user: sa, password: upstream-pw, tls: disable }
identity:
  users:
    - { name: alice, password: alice-pw, groups: [] }
plugins:
  - use: ./policy.mjs
`;
  const loaded = parseConfigText(yaml, { file: join(dir, 'sluice.yaml'), env: {} });
  const destination = new Writable({ write: (_chunk, _encoding, done) => done() });
  sluice = await Sluice.create(loaded, { log: createLogger({ level: 'error', format: 'json', destination }), drivers: { mssql: createDriver() } });
  await sluice.start();
  port = sluice.addresses()[0]!.port;
});

afterAll(async () => {
  await sluice?.shutdown(500);
  await scripted?.stop();
});

function texts(tokens: StreamToken[]): (string | null)[] {
  const meta = tokens.find((t) => t.kind === 'colmetadata') as Extract<StreamToken, { kind: 'colmetadata' }>;
  return tokens
    .filter((t): t is Extract<StreamToken, { kind: 'row' }> => t.kind === 'row')
    .map((row) => {
      const [range] = rowValueRanges(row.buf, row.start, row.end, meta.columns!, row.nbc);
      const data = range ? readValue(new Cursor(row.buf, range.start, range.end), meta.columns![0]!.info) : null;
      return data === null ? null : valueText(meta.columns![0]!.info, data);
    });
}

describe('mssql session', () => {
  it('answers a denied batch with ERROR 229 and DONE(error) without the server, and stays usable', async () => {
    const client = await WireClient.connect(port);
    await client.login('alice', 'alice-pw');
    const before = batches.length;
    const denied = await client.batch('select forbidden');
    expect(denied.map((t) => t.kind)).toEqual(['error', 'done']);
    expect(denied[0]).toMatchObject({ number: 229, severity: 14, message: 'sluice: no-forbidden: not today' });
    expect(denied[1]).toMatchObject({ status: DoneStatus.Error });
    expect(batches.length).toBe(before);
    expect(texts(await client.batch('fine'))).toEqual(['fine']);
    client.close();
  });

  it('rewrites the values a plugin changes, re-packetized for the client', async () => {
    const client = await WireClient.connect(port);
    await client.login('alice', 'alice-pw');
    expect(texts(await client.batch('emails'))).toEqual(['****@example.com', '****@example.org']);
    client.close();
  });

  it('cancels a statement still being judged: it never reaches the server, the response and the acknowledgement follow', async () => {
    const client = await WireClient.connect(port);
    await client.login('alice', 'alice-pw');
    const before = batches.length;
    client.socket.write(sqlBatchPacket('slow one'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    client.socket.write(packetize(PacketType.Attention, Buffer.alloc(0), 4096));
    const response = tokensOf(await client.message());
    const ack = tokensOf(await client.message());
    expect(response).toMatchObject([{ kind: 'done', status: DoneStatus.Final }]);
    expect(ack).toMatchObject([{ kind: 'done', status: DoneStatus.Attention }]);
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(batches.length).toBe(before);
    expect(texts(await client.batch('after'))).toEqual(['after']);
    client.close();
  });

  it('never hands the client half a token: a response that ends inside one ends with the proxy error', async () => {
    const client = await WireClient.connect(port);
    await client.login('alice', 'alice-pw');
    const tokens = await client.batch('truncated');
    // Every token the client gets is whole; the last two are Sluice's fatal error and its DONE.
    expect(tokens.slice(-2)).toMatchObject([{ kind: 'error', severity: 20 }, { kind: 'done', status: DoneStatus.Error }]);
    expect((tokens.at(-2) as { message: string }).message).toContain('a response ended inside a token');
    client.close();
  });

  it('acknowledges an attention that arrives between requests on its own', async () => {
    const client = await WireClient.connect(port);
    await client.login('alice', 'alice-pw');
    client.socket.write(packetize(PacketType.Attention, Buffer.alloc(0), 4096));
    const ack = tokensOf(await client.message());
    expect(ack).toMatchObject([{ kind: 'done', status: DoneStatus.Attention }]);
    client.close();
  });
});
