// Protocol constants: capability flags, commands, status flags, column types, error codes.

/** Capability flags (the 32-bit `capabilities` of the handshake). */
export const Capability = {
  LONG_PASSWORD: 1,
  FOUND_ROWS: 2,
  LONG_FLAG: 4,
  CONNECT_WITH_DB: 8,
  NO_SCHEMA: 16,
  COMPRESS: 32,
  ODBC: 64,
  LOCAL_FILES: 128,
  IGNORE_SPACE: 256,
  PROTOCOL_41: 512,
  INTERACTIVE: 1024,
  SSL: 2048,
  IGNORE_SIGPIPE: 4096,
  TRANSACTIONS: 8192,
  RESERVED: 16384,
  SECURE_CONNECTION: 32768,
  MULTI_STATEMENTS: 1 << 16,
  MULTI_RESULTS: 1 << 17,
  PS_MULTI_RESULTS: 1 << 18,
  PLUGIN_AUTH: 1 << 19,
  CONNECT_ATTRS: 1 << 20,
  PLUGIN_AUTH_LENENC_CLIENT_DATA: 1 << 21,
  CAN_HANDLE_EXPIRED_PASSWORDS: 1 << 22,
  SESSION_TRACK: 1 << 23,
  DEPRECATE_EOF: 1 << 24,
} as const;

/**
 * What Sluice implements and so may advertise: no compression, no query attributes, no optional
 * metadata, none of MariaDB's extended capabilities (bulk, metadata cache).
 */
export const SUPPORTED_CAPABILITIES =
  Capability.LONG_PASSWORD |
  Capability.FOUND_ROWS |
  Capability.LONG_FLAG |
  Capability.CONNECT_WITH_DB |
  Capability.NO_SCHEMA |
  Capability.ODBC |
  Capability.LOCAL_FILES |
  Capability.IGNORE_SPACE |
  Capability.PROTOCOL_41 |
  Capability.INTERACTIVE |
  Capability.IGNORE_SIGPIPE |
  Capability.TRANSACTIONS |
  Capability.RESERVED |
  Capability.SECURE_CONNECTION |
  Capability.MULTI_STATEMENTS |
  Capability.MULTI_RESULTS |
  Capability.PS_MULTI_RESULTS |
  Capability.PLUGIN_AUTH |
  Capability.CONNECT_ATTRS |
  Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA |
  Capability.SESSION_TRACK |
  Capability.DEPRECATE_EOF;

/** Flags that change packet formats: the upstream login uses the client's choice for each. */
export const FORMAT_CAPABILITIES =
  Capability.FOUND_ROWS |
  Capability.LONG_FLAG |
  Capability.NO_SCHEMA |
  Capability.ODBC |
  Capability.LOCAL_FILES |
  Capability.IGNORE_SPACE |
  Capability.INTERACTIVE |
  Capability.TRANSACTIONS |
  Capability.MULTI_STATEMENTS |
  Capability.MULTI_RESULTS |
  Capability.PS_MULTI_RESULTS |
  Capability.SESSION_TRACK |
  Capability.DEPRECATE_EOF;

/** MariaDB's extended capabilities (sent when CLIENT_MYSQL, i.e. LONG_PASSWORD, is clear). */
export const MariadbCapability = {
  PROGRESS: 1,
  COM_MULTI: 2,
  STMT_BULK_OPERATIONS: 4,
  EXTENDED_METADATA: 8,
  CACHE_METADATA: 16,
} as const;

/**
 * The MariaDB extensions Sluice relays: bulk execution (judged like an execute) and extended
 * column metadata (one more field in column definitions). Not progress reports (ERR packets in
 * the middle of a response) nor the metadata cache (executes without column definitions).
 */
export const SUPPORTED_MARIADB_CAPABILITIES = MariadbCapability.STMT_BULK_OPERATIONS | MariadbCapability.EXTENDED_METADATA;

/** Command bytes (first byte of a client packet after login). */
export const enum Command {
  Sleep = 0x00,
  Quit = 0x01,
  InitDb = 0x02,
  Query = 0x03,
  FieldList = 0x04,
  CreateDb = 0x05,
  DropDb = 0x06,
  Refresh = 0x07,
  Shutdown = 0x08,
  Statistics = 0x09,
  ProcessInfo = 0x0a,
  Connect = 0x0b,
  ProcessKill = 0x0c,
  Debug = 0x0d,
  Ping = 0x0e,
  Time = 0x0f,
  DelayedInsert = 0x10,
  ChangeUser = 0x11,
  BinlogDump = 0x12,
  TableDump = 0x13,
  ConnectOut = 0x14,
  RegisterSlave = 0x15,
  StmtPrepare = 0x16,
  StmtExecute = 0x17,
  StmtSendLongData = 0x18,
  StmtClose = 0x19,
  StmtReset = 0x1a,
  SetOption = 0x1b,
  StmtFetch = 0x1c,
  Daemon = 0x1d,
  BinlogDumpGtid = 0x1e,
  ResetConnection = 0x1f,
  /** MariaDB: COM_STMT_BULK_EXECUTE. */
  StmtBulkExecute = 0xfa,
}

/** First bytes of server packets. */
export const enum Header {
  Ok = 0x00,
  LocalInfile = 0xfb,
  Eof = 0xfe,
  Err = 0xff,
}

/** Server status flags. */
export const Status = {
  IN_TRANS: 0x0001,
  AUTOCOMMIT: 0x0002,
  MORE_RESULTS_EXISTS: 0x0008,
  CURSOR_EXISTS: 0x0040,
  LAST_ROW_SENT: 0x0080,
} as const;

/** Column types (enum_field_types). */
export const enum ColumnType {
  Decimal = 0x00,
  Tiny = 0x01,
  Short = 0x02,
  Long = 0x03,
  Float = 0x04,
  Double = 0x05,
  Null = 0x06,
  Timestamp = 0x07,
  LongLong = 0x08,
  Int24 = 0x09,
  Date = 0x0a,
  Time = 0x0b,
  DateTime = 0x0c,
  Year = 0x0d,
  NewDate = 0x0e,
  VarChar = 0x0f,
  Bit = 0x10,
  Timestamp2 = 0x11,
  DateTime2 = 0x12,
  Time2 = 0x13,
  Json = 0xf5,
  NewDecimal = 0xf6,
  Enum = 0xf7,
  Set = 0xf8,
  TinyBlob = 0xf9,
  MediumBlob = 0xfa,
  LongBlob = 0xfb,
  Blob = 0xfc,
  VarString = 0xfd,
  String = 0xfe,
  Geometry = 0xff,
}

/** Column definition flags. */
export const ColumnFlag = {
  NOT_NULL: 1,
  UNSIGNED: 32,
  BINARY: 128,
} as const;

/** Error numbers and SQLSTATEs Sluice answers with. */
export const ErrorCode = {
  /** ER_TABLEACCESS_DENIED_ERROR: a statement a plugin denied. */
  denied: { code: 1142, state: '42000' },
  /** ER_ACCESS_DENIED_ERROR: bad credentials. */
  accessDenied: { code: 1045, state: '28000' },
  /** ER_HANDSHAKE_ERROR / bad handshake. */
  badHandshake: { code: 1043, state: '08S01' },
  /** ER_NET_PACKETS_OUT_OF_ORDER-like: a malformed packet. */
  malformed: { code: 1835, state: '08S01' },
  /** ER_UNKNOWN_COM_ERROR. */
  unknownCommand: { code: 1047, state: '08S01' },
  /** ER_NOT_SUPPORTED_YET. */
  notSupported: { code: 1235, state: '42000' },
  /** ER_SERVER_SHUTDOWN. */
  shutdown: { code: 1053, state: '08S01' },
  /** ER_CONNECTION_KILLED (MariaDB) */
  killed: { code: 1927, state: '70100' },
  /** ER_CLIENT_INTERACTION_TIMEOUT. */
  idle: { code: 4031, state: 'HY000' },
  /** CR_CONN_HOST_ERROR-like, as a server error: the upstream could not be reached. */
  upstream: { code: 2003, state: 'HY000' },
  /** ER_UNKNOWN_ERROR. */
  internal: { code: 1105, state: 'HY000' },
} as const;

/** Largest payload of one physical packet; a payload this long continues in the next packet. */
export const MAX_PACKET_PAYLOAD = 0xffffff;
/** Largest logical packet Sluice accepts (MySQL's own max_allowed_packet ceiling). */
export const MAX_LOGICAL_PACKET = 1 << 30;
/** Largest packet before login (handshake response with attributes, a token as the password). */
export const MAX_LOGIN_PACKET = 64 * 1024;
/** Charset id utf8mb4_general_ci, for greetings and logins when nothing else is known. */
export const DEFAULT_CHARSET = 45;
