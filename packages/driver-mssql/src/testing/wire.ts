// Test-only helpers: a minimal TDS client and a scripted TDS endpoint built from the driver's own codecs, for fuzzing the session.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { DoneStatus, Encryption, PacketType, TDS_7_4, Token } from '../codes.js';
import { Writer } from '../cursor.js';
import { encodeLogin7 } from '../login7.js';
import { isFramingError, packetize, type Message } from '../packet.js';
import { encodePrelogin, PreloginOption, versionOption } from '../prelogin.js';
import { doneToken, envChangeText, loginAckToken } from '../server-tokens.js';
import { SocketReader } from '../socket-reader.js';
import { TokenStream, type StreamToken } from '../token-stream.js';

export function preloginPacket(encryption = Encryption.NotSupported): Buffer {
  return packetize(
    PacketType.PreLogin,
    encodePrelogin([
      [PreloginOption.Version, versionOption(1, 0, 0)],
      [PreloginOption.Encryption, Buffer.from([encryption])],
      [PreloginOption.InstOpt, Buffer.from([0])],
      [PreloginOption.Mars, Buffer.from([0])],
    ]),
    4096,
  );
}

export function loginPacket(user: string, password: string): Buffer {
  return packetize(
    PacketType.Login7,
    encodeLogin7({ tdsVersion: TDS_7_4, packetSize: 4096, hostName: 'fuzz', userName: user, password, appName: 'fuzz', serverName: 'x', clientInterfaceName: 'fuzz', language: '', database: '', features: [] }),
    4096,
  );
}

export function sqlBatchPacket(sql: string): Buffer {
  const headers = new Writer().u32(22).u32(18).u16(2).u64(0n).u32(1).finish();
  return packetize(PacketType.SqlBatch, Buffer.concat([headers, Buffer.from(sql, 'utf16le')]), 4096);
}

export function tokensOf(message: Message): StreamToken[] {
  const stream = new TokenStream();
  stream.push(message.payload);
  const out: StreamToken[] = [];
  for (let token = stream.next(); token; token = stream.next()) out.push(token);
  return out;
}

/** A client connection that sends packets and reads whole messages. */
export class WireClient {
  readonly socket: Socket;
  readonly reader: SocketReader;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.reader = new SocketReader(socket, 32767, 1 << 24);
  }

  static async connect(port: number): Promise<WireClient> {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new WireClient(socket);
  }

  async message(): Promise<Message> {
    const message = await this.reader.message();
    if (isFramingError(message)) throw new Error(message.error);
    return message;
  }

  async login(user: string, password: string): Promise<StreamToken[]> {
    this.socket.write(preloginPacket());
    await this.message();
    this.socket.write(loginPacket(user, password));
    return tokensOf(await this.message());
  }

  async batch(sql: string): Promise<StreamToken[]> {
    this.socket.write(sqlBatchPacket(sql));
    return tokensOf(await this.message());
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * A TDS endpoint that logs anyone in and answers every SQLBatch with `answer(sql)` (token bytes),
 * used to feed the driver well-formed and malformed server responses.
 */
export class ScriptedServer {
  readonly server: Server;
  readonly sockets = new Set<Socket>();

  private constructor(answer: (sql: string) => Buffer) {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      void this.serve(socket, answer).catch(() => socket.destroy());
    });
  }

  static async start(answer: (sql: string) => Buffer): Promise<ScriptedServer> {
    const scripted = new ScriptedServer(answer);
    await new Promise<void>((resolve) => scripted.server.listen(0, '127.0.0.1', resolve));
    return scripted;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async serve(socket: Socket, answer: (sql: string) => Buffer): Promise<void> {
    const reader = new SocketReader(socket, 32767, 1 << 24);
    for (;;) {
      const message = await reader.message();
      if (isFramingError(message)) return void socket.destroy();
      if (message.type === PacketType.PreLogin) {
        socket.write(packetize(PacketType.TabularResult, encodePrelogin([[PreloginOption.Version, versionOption(1, 0, 0)], [PreloginOption.Encryption, Buffer.from([Encryption.NotSupported])]]), 4096));
      } else if (message.type === PacketType.Login7) {
        const login = Buffer.concat([envChangeText(1, 'scripted', 'master'), loginAckToken(TDS_7_4, 'scripted', 0x01000000), doneToken(Token.Done, DoneStatus.Final)]);
        socket.write(packetize(PacketType.TabularResult, login, 4096));
      } else if (message.type === PacketType.SqlBatch) {
        const headers = message.payload.readUInt32LE(0);
        socket.write(packetize(PacketType.TabularResult, answer(message.payload.toString('utf16le', headers)), 4096));
      } else if (message.type === PacketType.Attention) {
        socket.write(packetize(PacketType.TabularResult, doneToken(Token.Done, DoneStatus.Attention), 4096));
      }
    }
  }
}

/** One-column (nvarchar) result: COLMETADATA, ROWs, DONE. */
export function textResult(column: string, values: readonly string[]): Buffer {
  const w = new Writer().u8(Token.ColMetadata).u16(1).u32(0).u16(1).u8(0xe7).u16(200).bytes(Buffer.from('0904d00034', 'hex')).bVarchar(column);
  for (const value of values) {
    const data = Buffer.from(value, 'utf16le');
    w.u8(Token.Row).u16(data.length).bytes(data);
  }
  return Buffer.concat([w.finish(), doneToken(Token.Done, DoneStatus.Count, BigInt(values.length))]);
}
