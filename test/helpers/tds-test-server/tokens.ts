// Server token builders (MS-TDS 2.2.7): each returns the complete token bytes.
import { BufferWriter } from './buffer-writer.js';
import { DEFAULT_COLLATION, DoneStatus, EnvChangeType, TDS_VERSION_7_4, Token } from './protocol.js';

/** What COLMETADATA and RETURNVALUE need to know about a column's type. */
export interface ColumnType {
  /** TYPE_INFO bytes: the type byte and its length/precision/scale/collation fields. */
  readonly typeInfo: Buffer;
}

export interface ColumnMetadata extends ColumnType {
  readonly name: string;
  readonly nullable: boolean;
}

export const SERVER_NAME = 'tds-test-server';

export function loginAck(): Buffer {
  const body = new BufferWriter()
    .u8(1) // interface: SQL_TSQL
    .u32be(TDS_VERSION_7_4)
    .bVarchar('Microsoft SQL Server')
    .bytes(Buffer.from([16, 0, 0x03, 0xe8]))
    .toBuffer();
  return new BufferWriter().u8(Token.LoginAck).u16(body.length).bytes(body).toBuffer();
}

function envChange(type: EnvChangeType, values: Buffer): Buffer {
  return new BufferWriter().u8(Token.EnvChange).u16(values.length + 1).u8(type).bytes(values).toBuffer();
}

export function envChangeText(type: EnvChangeType.Database | EnvChangeType.Language | EnvChangeType.PacketSize, next: string, previous: string): Buffer {
  return envChange(type, new BufferWriter().bVarchar(next).bVarchar(previous).toBuffer());
}

export function envChangeCollation(collation: Buffer = DEFAULT_COLLATION): Buffer {
  return envChange(EnvChangeType.SqlCollation, new BufferWriter().bVarbyte(collation).u8(0).toBuffer());
}

export function envChangeBeginTransaction(descriptor: Buffer): Buffer {
  return envChange(EnvChangeType.BeginTransaction, new BufferWriter().bVarbyte(descriptor).u8(0).toBuffer());
}

export function envChangeEndTransaction(type: EnvChangeType.CommitTransaction | EnvChangeType.RollbackTransaction, descriptor: Buffer): Buffer {
  return envChange(type, new BufferWriter().u8(0).bVarbyte(descriptor).toBuffer());
}

export function envChangeResetConnectionAck(): Buffer {
  return envChange(EnvChangeType.ResetConnectionAck, Buffer.from([0, 0]));
}

/** Routing (MS-TDS 2.2.7.9, type 20): protocol TCP, port, alternate server; old value empty. */
export function envChangeRouting(server: string, port: number): Buffer {
  const routing = new BufferWriter().u8(0).u16(port).usVarchar(server).toBuffer();
  return envChange(EnvChangeType.Routing, new BufferWriter().u16(routing.length).bytes(routing).u16(0).toBuffer());
}

export function done(token: Token.Done | Token.DoneProc | Token.DoneInProc, status: number, currentCommand = 0, rowCount = 0n): Buffer {
  return new BufferWriter().u8(token).u16(status).u16(currentCommand).u64(rowCount).toBuffer();
}

export const DONE_FINAL = (): Buffer => done(Token.Done, DoneStatus.Final);

export interface ServerMessage {
  readonly number: number;
  readonly state: number;
  readonly severity: number;
  readonly message: string;
  readonly procedure?: string;
  readonly line?: number;
}

export function errorOrInfo(token: Token.Error | Token.Info, message: ServerMessage): Buffer {
  const body = new BufferWriter()
    .i32(message.number)
    .u8(message.state)
    .u8(message.severity)
    .usVarchar(message.message)
    .bVarchar(SERVER_NAME)
    .bVarchar(message.procedure ?? '')
    .i32(message.line ?? 1)
    .toBuffer();
  return new BufferWriter().u8(token).u16(body.length).bytes(body).toBuffer();
}

const FLAG_NULLABLE = 0x0001;
const FLAG_UPDATEABLE_UNKNOWN = 0x0008;

export function colMetadata(columns: readonly ColumnMetadata[]): Buffer {
  const out = new BufferWriter(64 + columns.length * 32).u8(Token.ColMetadata).u16(columns.length);
  for (const column of columns) {
    out.u32(0).u16((column.nullable ? FLAG_NULLABLE : 0) | FLAG_UPDATEABLE_UNKNOWN).bytes(column.typeInfo).bVarchar(column.name);
  }
  return out.toBuffer();
}

/** A ROW token when no value is NULL, an NBCROW token (null bitmap, then the present values) otherwise. */
export function row(values: readonly (Buffer | null)[]): Buffer {
  const out = new BufferWriter(256);
  if (!values.includes(null)) {
    out.u8(Token.Row);
    for (const value of values) out.bytes(value!);
    return out.toBuffer();
  }
  const bitmap = Buffer.alloc(Math.ceil(values.length / 8));
  values.forEach((value, index) => {
    if (value === null) bitmap[index >> 3]! |= 1 << (index & 7);
  });
  out.u8(Token.NbcRow).bytes(bitmap);
  for (const value of values) if (value !== null) out.bytes(value);
  return out.toBuffer();
}

/** ORDER: the 1-based numbers of the result columns the rows are sorted by. */
export function order(columns: readonly number[]): Buffer {
  const out = new BufferWriter().u8(Token.Order).u16(columns.length * 2);
  for (const column of columns) out.u16(column);
  return out.toBuffer();
}

export function returnStatus(value: number): Buffer {
  return new BufferWriter().u8(Token.ReturnStatus).i32(value).toBuffer();
}

/** RETURNVALUE for an output parameter: `value` is the encoded value including its length prefix. */
export function returnValue(ordinal: number, name: string, type: ColumnType, value: Buffer): Buffer {
  return new BufferWriter()
    .u8(Token.ReturnValue)
    .u16(ordinal)
    .bVarchar(name)
    .u8(0x01) // output parameter
    .u32(0)
    .u16(FLAG_NULLABLE)
    .bytes(type.typeInfo)
    .bytes(value)
    .toBuffer();
}

/** FEATUREEXTACK acknowledging the given features (id → data); the terminator closes it. */
export function featureExtAck(features: ReadonlyMap<number, Buffer>): Buffer {
  const out = new BufferWriter().u8(Token.FeatureExtAck);
  for (const [id, data] of features) out.u8(id).u32(data.length).bytes(data);
  return out.u8(0xff).toBuffer();
}
