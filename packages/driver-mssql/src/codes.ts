// TDS constants: packet types and status bits, token types, data type ids, ENVCHANGE types, error numbers.

/** Packet types (MS-TDS 2.2.3.1.1). */
export const enum PacketType {
  SqlBatch = 0x01,
  Rpc = 0x03,
  TabularResult = 0x04,
  Attention = 0x06,
  BulkLoad = 0x07,
  FedAuthToken = 0x08,
  TransactionManager = 0x0e,
  Login7 = 0x10,
  Sspi = 0x11,
  PreLogin = 0x12,
}

/** Packet status bits (MS-TDS 2.2.3.1.2). */
export const enum PacketStatus {
  Normal = 0x00,
  EndOfMessage = 0x01,
  Ignore = 0x02,
  ResetConnection = 0x08,
  ResetConnectionSkipTran = 0x10,
}

export const PACKET_HEADER_LENGTH = 8;
/** The packet size every connection starts with, until LOGIN7 negotiates another (ENVCHANGE 4). */
export const INITIAL_PACKET_SIZE = 4096;
export const MIN_PACKET_SIZE = 512;
export const MAX_PACKET_SIZE = 32767;
/** Largest client request Sluice reads whole to judge it (SQL text and parameters). */
export const MAX_REQUEST = 64 * 1024 * 1024;
/** Largest PRELOGIN or LOGIN7 message accepted before login. */
export const MAX_LOGIN_MESSAGE = 128 * 1024;

/** TDS 7.4, as LOGIN7 and LOGINACK carry it (big-endian number 0x74000004). */
export const TDS_7_4 = 0x74000004;

/** Token types of the tabular result stream (MS-TDS 2.2.7). */
export const enum Token {
  AltMetadata = 0x88,
  AltRow = 0xd3,
  ColInfo = 0xa5,
  ColMetadata = 0x81,
  DataClassification = 0xa3,
  Done = 0xfd,
  DoneProc = 0xfe,
  DoneInProc = 0xff,
  EnvChange = 0xe3,
  Error = 0xaa,
  FeatureExtAck = 0xae,
  FedAuthInfo = 0xee,
  Info = 0xab,
  LoginAck = 0xad,
  NbcRow = 0xd2,
  Offset = 0x78,
  Order = 0xa9,
  ReturnStatus = 0x79,
  ReturnValue = 0xac,
  Row = 0xd1,
  SessionState = 0xe4,
  Sspi = 0xed,
  TabName = 0xa4,
}

/** DONE status bits (MS-TDS 2.2.7.6). */
export const enum DoneStatus {
  Final = 0x00,
  More = 0x01,
  Error = 0x02,
  InTransaction = 0x04,
  Count = 0x10,
  Attention = 0x20,
  ServerError = 0x100,
}

/** ENVCHANGE types (MS-TDS 2.2.7.9). */
export const enum EnvChangeType {
  Database = 1,
  Language = 2,
  CharacterSet = 3,
  PacketSize = 4,
  UnicodeSortLocale = 5,
  UnicodeComparison = 6,
  SqlCollation = 7,
  BeginTransaction = 8,
  CommitTransaction = 9,
  RollbackTransaction = 10,
  EnlistDtc = 11,
  DefectTransaction = 12,
  DatabaseMirroringPartner = 13,
  PromoteTransaction = 15,
  TransactionManagerAddress = 16,
  TransactionEnded = 17,
  ResetConnectionAck = 18,
  UserInstance = 19,
  Routing = 20,
}

/** Data type ids (MS-TDS 2.2.5.4). */
export const enum DataType {
  Null = 0x1f,
  Int1 = 0x30,
  Bit = 0x32,
  Int2 = 0x34,
  Int4 = 0x38,
  DateTime4 = 0x3a,
  Float4 = 0x3b,
  Money = 0x3c,
  DateTime = 0x3d,
  Float8 = 0x3e,
  Money4 = 0x7a,
  Int8 = 0x7f,
  Guid = 0x24,
  IntN = 0x26,
  Decimal = 0x37,
  Numeric = 0x3f,
  BitN = 0x68,
  DecimalN = 0x6a,
  NumericN = 0x6c,
  FloatN = 0x6d,
  MoneyN = 0x6e,
  DateTimeN = 0x6f,
  DateN = 0x28,
  TimeN = 0x29,
  DateTime2N = 0x2a,
  DateTimeOffsetN = 0x2b,
  Char = 0x2f,
  VarChar = 0x27,
  Binary = 0x2d,
  VarBinary = 0x25,
  BigVarBinary = 0xa5,
  BigVarChar = 0xa7,
  BigBinary = 0xad,
  BigChar = 0xaf,
  NVarChar = 0xe7,
  NChar = 0xef,
  Xml = 0xf1,
  Udt = 0xf0,
  Text = 0x23,
  Image = 0x22,
  NText = 0x63,
  SqlVariant = 0x62,
}

/** PRELOGIN ENCRYPTION option values (MS-TDS 2.2.6.5). */
export const enum Encryption {
  Off = 0x00,
  On = 0x01,
  NotSupported = 0x02,
  Required = 0x03,
}

/** Error numbers Sluice sends in its own ERROR tokens. */
export const enum ErrorNumber {
  /** Permission denied (the design's answer to a denied statement). */
  PermissionDenied = 229,
  /** Login failed for user. */
  LoginFailed = 18456,
  /** A generic severe error. */
  ProtocolError = 4002,
  /** Sluice-side failure (a row hook) while a statement ran. */
  ProxyError = 50000,
}

/** Well-known stored procedure ids of RPC requests (MS-TDS 2.2.6.6 ProcID). */
export const SPECIAL_PROCEDURES: Readonly<Record<number, string>> = {
  1: 'sp_cursor',
  2: 'sp_cursoropen',
  3: 'sp_cursorprepare',
  4: 'sp_cursorexecute',
  5: 'sp_cursorprepexec',
  6: 'sp_cursorunprepare',
  7: 'sp_cursorfetch',
  8: 'sp_cursoroption',
  9: 'sp_cursorclose',
  10: 'sp_executesql',
  11: 'sp_prepare',
  12: 'sp_execute',
  13: 'sp_prepexec',
  14: 'sp_prepexecrpc',
  15: 'sp_unprepare',
};
