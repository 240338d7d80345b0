// TDS 7.4 codes used by the test server (MS-TDS 2.2.3 packet types, 2.2.7 tokens, 2.2.5.4 data types).

export const enum PacketType {
  SqlBatch = 0x01,
  Rpc = 0x03,
  TabularResult = 0x04,
  Attention = 0x06,
  TransactionManager = 0x0e,
  Login7 = 0x10,
  Prelogin = 0x12,
}

export const enum PacketStatus {
  Normal = 0x00,
  EndOfMessage = 0x01,
  Ignore = 0x02,
  ResetConnection = 0x08,
  ResetConnectionKeepTransaction = 0x10,
}

export const HEADER_LENGTH = 8;

export const enum Token {
  ReturnStatus = 0x79,
  ColMetadata = 0x81,
  Order = 0xa9,
  Error = 0xaa,
  Info = 0xab,
  ReturnValue = 0xac,
  LoginAck = 0xad,
  FeatureExtAck = 0xae,
  Row = 0xd1,
  NbcRow = 0xd2,
  EnvChange = 0xe3,
  Done = 0xfd,
  DoneProc = 0xfe,
  DoneInProc = 0xff,
}

export const enum DoneStatus {
  Final = 0x0000,
  More = 0x0001,
  Error = 0x0002,
  InTransaction = 0x0004,
  Count = 0x0010,
  Attention = 0x0020,
  ServerError = 0x0100,
}

export const enum EnvChangeType {
  Database = 1,
  Language = 2,
  PacketSize = 4,
  SqlCollation = 7,
  BeginTransaction = 8,
  CommitTransaction = 9,
  RollbackTransaction = 10,
  ResetConnectionAck = 18,
  Routing = 20,
}

/** TYPE_INFO type bytes (MS-TDS 2.2.5.4). */
export const enum DataType {
  Null = 0x1f,
  Int1 = 0x30,
  Bit = 0x32,
  Int2 = 0x34,
  Int4 = 0x38,
  DateTim4 = 0x3a,
  Flt4 = 0x3b,
  Money = 0x3c,
  DateTime = 0x3d,
  Flt8 = 0x3e,
  Money4 = 0x7a,
  Int8 = 0x7f,
  Guid = 0x24,
  IntN = 0x26,
  DateN = 0x28,
  TimeN = 0x29,
  DateTime2N = 0x2a,
  DateTimeOffsetN = 0x2b,
  BitN = 0x68,
  DecimalN = 0x6a,
  NumericN = 0x6c,
  FltN = 0x6d,
  MoneyN = 0x6e,
  DateTimN = 0x6f,
  BigVarBinary = 0xa5,
  BigVarChar = 0xa7,
  BigBinary = 0xad,
  BigChar = 0xaf,
  NVarChar = 0xe7,
  NChar = 0xef,
  Xml = 0xf1,
  Text = 0x23,
  Image = 0x22,
  NText = 0x63,
}

/** ProcIDs of the special stored procedures an RPC may name by number (MS-TDS 2.2.6.6). */
export const enum ProcId {
  ExecuteSql = 10,
  Prepare = 11,
  Execute = 12,
  PrepExec = 13,
  Unprepare = 15,
}

export const SPECIAL_PROCEDURE_NAMES: Record<number, string> = {
  10: 'sp_executesql',
  11: 'sp_prepare',
  12: 'sp_execute',
  13: 'sp_prepexec',
  15: 'sp_unprepare',
};

/** Latin1_General_CI_AS: LCID 0x0409, flags IgnoreCase|IgnoreKana|IgnoreWidth, version 0, sort id 0 (SQL Server's usual default). */
export const DEFAULT_COLLATION = Buffer.from([0x09, 0x04, 0xd0, 0x00, 0x00]);

/** TDS 7.4 as sent in LOGINACK (big-endian on the wire). */
export const TDS_VERSION_7_4 = 0x74000004;
