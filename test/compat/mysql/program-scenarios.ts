// The scenarios ConnectorJScenarios.java and pymysql_scenarios.py print (one `== name` section each), with what a direct run must show.

export interface MysqlProgramScenario {
  readonly name: string;
  /** Text the direct run must show, so that two equally broken runs cannot pass. */
  readonly expect: readonly string[];
}

export const CONNECTOR_J_SCENARIOS: readonly MysqlProgramScenario[] = [
  { name: 'types-text', expect: ['vc=String(héllo wörld ☃ 日本語 🎉)', 'ubi=BigInteger(18446744073709551615)', 'vb=byte[](\\xdeadbeef00ff)', 'column: dc table=compat_types type=DECIMAL/3', 'rows: 3'] },
  { name: 'types-binary', expect: ['vc=String(héllo wörld ☃ 日本語 🎉)', 'dc=BigDecimal(12345678901234567890.1234567890)', 'prepared metadata columns: 25 parameters: 1'] },
  { name: 'parameters', expect: ['-- useServerPrepStmts=true', 't=String(héllo ☃ 日本語 🎉 \'quote\' \\ ?)', 'ts=Timestamp(2024-02-29 13:14:15.123456)', 'b=byte[](\\xdead00ff)'] },
  { name: 'long-data', expect: ['LENGTH(data)=Integer(3145745)', 'CHAR_LENGTH(note)=Integer(550000)', 'SHA2(data, 256)=String(27f3f0120d4a72b6', 'send long data packets > 0: true'] },
  { name: 'batch', expect: ['batch counts: 1000 sum -2000', 'batch counts: 1000 sum 1000', 'Duplicate entry \'5\'', 'SUM(amount)=BigDecimal(125125.00)'] },
  { name: 'multiple-results', expect: ['update count: 3', 'b=String(two)', 'x=BigDecimal(26)', '42S02/1146', 'after=String(still usable)'] },
  { name: 'callable', expect: ['label=String(three)', 'which=String(second ☃)', 'out total=2 note=start ☃ → done'] },
  { name: 'transactions', expect: ['23000/1062', 'ids=String(1,3)', 'iso=String(SERIALIZABLE)'] },
  { name: 'errors', expect: ['prepared: SQLSyntaxErrorException 42000/1064', '45000/1644: (conn=<id>) custom ☃ failure', 'warning: null/1265', 'after=String(usable)'] },
  { name: 'streaming', expect: ['text streamed 200000 rows, sum 20000100000', 'prepared streamed 200000 rows', 'after the abandoned stream'] },
  { name: 'large-value', expect: ['LENGTH(data)=Integer(7340036)', 'data=byte[7340036] sha256 5d62dd47e63249cd9a9d06d31f7288bf', 'client-side sha256 of row 1: 5d62dd47e63249cd9a9d06d31f7288bf'] },
  { name: 'compression', expect: ['seq=BigInteger(2000)', 'COUNT(*)=Long(3000)'] },
  { name: 'metadata', expect: ['table: md_items TABLE', "column: label VARCHAR size=40 nullable=0 default='x'", 'index: by_label label', 'generated key: 3'] },
  { name: 'load-data-local', expect: ['loaded: 5000', 'COUNT(*)=Long(5000)'] },
  { name: 'session', expect: ['valid: true', 'db=String(information_schema)', 'tz=String(+00:00)', 'kept=String(kept ☃)'] },
];

export const PYMYSQL_SCENARIOS: readonly MysqlProgramScenario[] = [
  { name: 'types-text', expect: ["vc=str('héllo wörld ☃ 日本語 🎉')", 'ubi=int(18446744073709551615)', 'vb=bytes(\\xdeadbeef00ff)', "dict: {'id': 'int(1)'", 'rows: 3'] },
  { name: 'parameters', expect: ['t=str("héllo ☃ 日本語 🎉 \'quote\' \\\\ %s ?")', 'b=bytes(\\xdead00ff)', "pct=str('100%')", "a=str('named ☃')"] },
  { name: 'executemany', expect: ['executemany rowcount: 1000', 'IntegrityError (1062', 'COUNT(label)=int(900)'] },
  { name: 'multiple-statements', expect: ['no result; rowcount: 3', "b=str('two')", "x=Decimal(Decimal('26'))", 'ProgrammingError (1146', "after=str('still usable')"] },
  { name: 'callproc', expect: ["callproc returned: (2, 'start ☃')", "label=str('three')", "which=str('second ☃')", "note=str('start ☃ → done')"] },
  { name: 'unbuffered', expect: ['SSCursor streamed 200000 rows, sum 20000100000', 'SSDictCursor streamed 200000 rows', 'first rows: [(1,), (2,), (3,), (4,), (5,)]', 'after the abandoned stream'] },
  { name: 'errors', expect: ['ProgrammingError (1064', 'IntegrityError (1062', "OperationalError (1644, 'custom ☃ failure')", "Data truncated for column 'email'", "after=str('usable')"] },
  { name: 'transactions', expect: ["ids=str('1,2,5')"] },
  { name: 'large-value', expect: ['LENGTH(data)=int(3145728)', 'data=bytes[9437184]', 'a=str[9000000]', "c=str('end')"] },
  { name: 'load-data-local', expect: ['loaded: 5000', 'COUNT(*)=int(5000)'] },
  { name: 'session', expect: ['pinged', "db=str('information_schema')", "kept=str('kept ☃')", "tz=str('+00:00')"] },
];
