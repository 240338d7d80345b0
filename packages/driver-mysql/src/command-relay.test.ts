// The command relay against the real MariaDB, with CLIENT_DEPRECATE_EOF set differently on the two
// sides (as with a server older than MySQL 5.7.5 / MariaDB 10.2): Sluice translates EOF and OK.
import { connect, createServer, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger, Pipeline, SessionRuntime, type Session, type SluicePlugin } from '@sluice/core';
import { afterEach, describe, expect, it } from 'vitest';
import { CommandRelay } from './command-relay.js';
import { Capability } from './constants.js';
import { framePacket, isFramingError, PacketFramer, type Packet } from './framing.js';
import { SocketReader } from './socket-reader.js';
import { loginUpstream } from './upstream.js';

const CLIENT_FLAGS =
  Capability.PROTOCOL_41 | Capability.MULTI_STATEMENTS | Capability.MULTI_RESULTS | Capability.PS_MULTI_RESULTS | Capability.SESSION_TRACK | Capability.TRANSACTIONS;

const log = createLogger({ level: 'fatal', format: 'json', destination: new Writable({ write: (_c, _e, done) => done() }) });
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A relay between a test client socket and a real MariaDB login, with the given EOF styles. */
async function relay(client: { deprecateEof: boolean }, server: { deprecateEof: boolean }, plugins: SluicePlugin[] = []) {
  const login = await loginUpstream(
    { host: '127.0.0.1', port: 3306, user: 'root', database: 'test', tls: 'disable', connectTimeoutMs: 5_000 },
    { capabilities: CLIENT_FLAGS | (server.deprecateEof ? Capability.DEPRECATE_EOF : 0), charset: 45, attributes: [], mariadbCapabilities: 0 },
  );
  expect((login.capabilities & Capability.DEPRECATE_EOF) !== 0).toBe(server.deprecateEof);
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<Socket>((resolve) => listener.once('connection', resolve));
  const testSide = connect((listener.address() as { port: number }).port, '127.0.0.1');
  const proxySide = await accepted;
  const session: Session = { id: 's-test', identity: { subject: 't', name: 't', groups: [], auth: 'trust' }, client: { address: '127.0.0.1', port: 1 }, listener: 'l', dialect: 'mysql', startedAt: new Date(), state: {} };
  const runtime = new SessionRuntime(session, { current: new Pipeline(plugins, log) }, log, { ms: 0, onIdle: () => undefined });
  const failures: string[] = [];
  const commands = new CommandRelay(proxySide, login.socket, new SocketReader(proxySide, 1 << 24), runtime, {
    log,
    fail: (_error, _reason, detail) => failures.push(detail),
    idle: () => undefined,
    isOpen: () => true,
  }, {
    clientDeprecateEof: client.deprecateEof,
    serverDeprecateEof: server.deprecateEof,
    clientCapabilities: CLIENT_FLAGS | (client.deprecateEof ? Capability.DEPRECATE_EOF : 0),
    status: login.status,
  });
  login.socket.resume();
  void commands.run().catch(() => undefined);
  cleanups.push(() => {
    testSide.destroy();
    proxySide.destroy();
    login.socket.destroy();
    listener.close();
  });
  const framer = new PacketFramer(1 << 24);
  const received: Packet[] = [];
  let wake: (() => void) | undefined;
  testSide.on('data', (chunk: Buffer) => {
    framer.push(chunk);
    for (let packet = framer.next(); packet !== undefined && !isFramingError(packet); packet = framer.next()) received.push(packet);
    wake?.();
  });
  /** Sends a command and collects the response until `done` says it is complete. */
  const command = async (payload: Buffer, done: (packets: Packet[]) => boolean): Promise<Packet[]> => {
    received.length = 0;
    testSide.write(framePacket(payload, 0));
    const deadline = Date.now() + 5_000;
    while (!done(received)) {
      if (Date.now() > deadline) throw new Error(`no complete response: ${received.length} packets, failures ${failures.join('; ')}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    return [...received];
  };
  return { command, failures };
}

const query = (sql: string) => Buffer.concat([Buffer.from([0x03]), Buffer.from(sql)]);
const isEof = (p: Packet) => p.payload[0] === 0xfe && p.payload.length < 9;
const isOkEnd = (p: Packet) => p.payload[0] === 0xfe && p.payload.length >= 7;
/** A result ends at its last terminator without SERVER_MORE_RESULTS_EXISTS. */
function ended(terminators: (p: Packet) => boolean) {
  return (packets: Packet[]) => {
    const last = packets.at(-1);
    if (!last) return false;
    if (last.payload[0] === 0xff) return true;
    if (!terminators(last) && last.payload[0] !== 0x00) return false;
    const status = last.payload[0] === 0xfe && last.payload.length < 9 ? last.payload.readUInt16LE(3) : statusOfOk(last.payload);
    return (status & 0x08) === 0;
  };
}
function statusOfOk(payload: Buffer): number {
  let at = 1;
  for (let i = 0; i < 2; i++) at += payload[at]! < 0xfb ? 1 : payload[at] === 0xfc ? 3 : payload[at] === 0xfd ? 4 : 9;
  return payload.readUInt16LE(at);
}
const sequential = (packets: Packet[]) => packets.every((p, i) => p.sequence === i + 1);

describe('CLIENT_DEPRECATE_EOF translation', () => {
  it('a client with it, a server without: the EOF after the columns goes, the final EOF becomes an OK', async () => {
    const { command, failures } = await relay({ deprecateEof: true }, { deprecateEof: false });
    const packets = await command(query('select 1 as a, 2 as b union all select 3, 4'), ended(isOkEnd));
    // column count, 2 columns, 2 rows, OK
    expect(packets.map((p) => p.payload[0] === 0xfe ? 'end' : 'x')).toEqual(['x', 'x', 'x', 'x', 'x', 'end']);
    expect(isOkEnd(packets.at(-1)!)).toBe(true);
    expect(sequential(packets)).toBe(true);
    expect(failures).toEqual([]);
  });

  it('a client without it, a server with it: an EOF is added after the columns, the final OK becomes an EOF', async () => {
    const { command, failures } = await relay({ deprecateEof: false }, { deprecateEof: true });
    const packets = await command(query('select 1 as a union all select 2'), ended(isEof));
    expect(packets.map((p) => (isEof(p) ? 'eof' : 'x'))).toEqual(['x', 'x', 'eof', 'x', 'x', 'eof']);
    expect(sequential(packets)).toBe(true);
    expect(failures).toEqual([]);
  });

  it('translates every result of a multi-statement query and keeps SERVER_MORE_RESULTS_EXISTS', async () => {
    const { command } = await relay({ deprecateEof: true }, { deprecateEof: false });
    const packets = await command(query('select 1; select 2, 3; do 1'), ended(isOkEnd));
    const ends = packets.filter(isOkEnd);
    expect(ends).toHaveLength(2);
    expect(ends.every((p) => (statusOfOk(p.payload) & 0x08) !== 0)).toBe(true);
    expect(packets.at(-1)!.payload[0]).toBe(0x00);
    expect(sequential(packets)).toBe(true);
  });

  it('translates a prepare response and the binary rows of its execute', async () => {
    const { command } = await relay({ deprecateEof: true }, { deprecateEof: false });
    const prepared = await command(Buffer.concat([Buffer.from([0x16]), Buffer.from('select ? + 1 as n, ? as s')]), (p) => p.length >= 5);
    // OK, 2 parameter definitions, 2 column definitions, no EOFs
    expect(prepared).toHaveLength(5);
    expect(prepared.some(isEof)).toBe(false);
    const id = prepared[0]!.payload.readUInt32LE(1);
    const execute = Buffer.from([0x17, ...u32(id), 0, 1, 0, 0, 0, 0x00, 0x01, 0x08, 0x00, 0xfd, 0x00, ...u64(41), 2, 0x68, 0x69]);
    const rows = await command(execute, ended(isOkEnd));
    expect(rows).toHaveLength(5); // count, 2 columns, 1 row, OK
    expect(rows[3]!.payload[0]).toBe(0x00);
    expect(isOkEnd(rows[4]!)).toBe(true);
    expect(sequential(rows)).toBe(true);
  });

  it('translates the EOF that answers COM_SET_OPTION', async () => {
    const { command } = await relay({ deprecateEof: true }, { deprecateEof: false });
    const [answer] = await command(Buffer.from([0x1b, 0x00, 0x00]), (p) => p.length >= 1);
    expect(answer!.payload[0]).toBe(0xfe);
    expect(isOkEnd(answer!)).toBe(true);
    const legacy = await relay({ deprecateEof: false }, { deprecateEof: false });
    const [eof] = await legacy.command(Buffer.from([0x1b, 0x00, 0x00]), (p) => p.length >= 1);
    expect(isEof(eof!)).toBe(true);
  });

  it('masks rows while translating, with the sequence ids still in order', async () => {
    const plugin: SluicePlugin = {
      name: 'upper',
      onResultSet: () => ({ columns: [1] }),
      onRow: (_session, row) => [undefined, String(row.values[1]).toUpperCase()],
    };
    const { command } = await relay({ deprecateEof: false }, { deprecateEof: true }, [plugin]);
    const packets = await command(query("select 1 as a, 'secret' as b"), ended(isEof));
    const row = packets[4]!;
    expect(row.payload.toString('latin1')).toContain('SECRET');
    expect(sequential(packets)).toBe(true);
  });
});

function u32(value: number): number[] {
  return [value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff, (value >>> 24) & 0xff];
}

function u64(value: number): number[] {
  return [...u32(value), 0, 0, 0, 0];
}
