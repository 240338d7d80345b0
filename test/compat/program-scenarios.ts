// The scenarios JdbcScenarios.java and psycopg2_scenarios.py print (one `== name` section each), with what a direct run must show.

export interface ProgramScenario {
  readonly name: string;
  /** Text the direct run must show, so that two equally broken runs cannot pass. */
  readonly expect: readonly string[];
}

export const JDBC_SCENARIOS: readonly ProgramScenario[] = [
  { name: 'types-text', expect: ['txt=String(héllo wörld ☃ 日本語 🎉', 'bin=byte[](\\xdeadbeef00ff)', 'rows: 1'] },
  { name: 'types-binary', expect: ['num=BigDecimal(12345678901234567890.123456789)', 'id=UUID(4a1b1c2d-3e4f-5a6b-7c8d-9e0fa1b2c3d4)'] },
  { name: 'parameters', expect: ['t=String(héllo ☃ 日本語 🎉)', 'b=byte[](\\xdead00ff)', 'n=NULL'] },
  { name: 'server-prepared-reuse', expect: ['server prepared: true', 'square=Integer(25)', 'division by zero'] },
  { name: 'batch-insert', expect: ['batch counts: 1000 sum 1000', 'batch error: 23505', 'count=Long(1000)'] },
  { name: 'savepoints', expect: ['{1,3,4,5}'] },
  { name: 'error-in-transaction', expect: ['22012', '25P02', 'ids=PgArray([3])'] },
  { name: 'autosave-recovery', expect: ['22P02', 'ids=PgArray([1, 2])'] },
  { name: 'error-mid-result', expect: ['rows before the error: 40', 'still usable'] },
  { name: 'cursor-fetch-size', expect: ['rows 100 sum 5050', 'rows 60 sum 1830'] },
  { name: 'declare-fetch', expect: ['label=String(row 28)', 'label=String(row 30)'] },
  { name: 'copy-in-out', expect: ['copied in: 5000', 'copied out: 7', '1,"label, 1 ☃",1.25', 'not-a-number', 'copy out error after'] },
  { name: 'listen-notify', expect: ['on the channel: first', 'on the channel: second ☃'] },
  { name: 'notices', expect: ['warning: 00000 hello 42 ☃', 'warning: 01000 careful'] },
  { name: 'multiple-results', expect: ['b=String(two)', 'update count: 2', 'x=Integer(3)'] },
  { name: 'large-value', expect: ['octet_length=Integer(20971515) md5=String(dda318c760f39185b869a4c58153d4d3)', 'received 20971515 bytes, md5 dda318c760f39185b869a4c58153d4d3'] },
  { name: 'interleaved-portals', expect: ['1 label 1, 2 label 2,', '30 label 30, 31 32', ' 50'] },
  { name: 'cancel', expect: ['57014', 'cancelled in under 4 s: true', 'after the cancel'] },
  { name: 'parameter-status', expect: ['application_name=compat jdbc', 'application_name=changed ??? TimeZone=America/New_York', '08:14:15', 'DateStyle'] },
  { name: 'large-object', expect: ['read back: hello large object ☃'] },
];

export const PSYCOPG2_SCENARIOS: readonly ProgramScenario[] = [
  { name: 'types-text', expect: ["txt=str('héllo wörld ☃ 日本語 🎉", 'bin=bytes(\\xdeadbeef00ff)'] },
  { name: 'parameters', expect: ["t=str(\"héllo ☃ 日本語 🎉 'quote' %s\")", 'b=bytes(\\xdead00ff)', "pct=str('100%')", 'total=int(42)'] },
  { name: 'executemany', expect: ['executemany rowcount: 500', 'UniqueViolation 23505', 'count=int(1000)'] },
  { name: 'savepoints', expect: ['ids=[int(1), int(3), int(4)]'] },
  { name: 'error-in-transaction', expect: ['DivisionByZero 22012', 'InFailedSqlTransaction 25P02', 'ids=[int(3)]'] },
  { name: 'error-mid-result', expect: ['rows before the error: 40', 'still usable'] },
  { name: 'named-cursor', expect: ['rows 100 sum 5050', 'absolute: [(16,)', 'held after commit: [(1,)'] },
  { name: 'declare-fetch', expect: ['FETCH 20', "label=str('row 30')"] },
  { name: 'copy-in-out', expect: ['copied in: 5000', 'copy_to: 5002', '6002,,2.50', 'not-a-number', 'copy out error after 49 lines'] },
  { name: 'listen-notify', expect: ['on the channel: first', 'on the channel: second ☃'] },
  { name: 'notices', expect: ['notice: NOTICE:  hello 42 ☃', 'notice: WARNING:  careful'] },
  { name: 'multiple-results', expect: ["b=str('two')", 'status: UPDATE 2', 'DivisionByZero'] },
  { name: 'large-value', expect: ["md5=str('dda318c760f39185b869a4c58153d4d3')", 'received 20971515 bytes, md5 dda318c760f39185b869a4c58153d4d3'] },
  { name: 'cancel', expect: ['QueryCanceled 57014', 'cancelled in under 4 s: True', 'after the cancel'] },
  { name: 'parameter-status', expect: ['application_name=compat psycopg2', 'application_name=changed ??? DateStyle=ISO, DMY TimeZone=America/New_York', 'datetime.datetime(2024, 2, 29, 8, 14, 15'] },
  { name: 'large-object', expect: ['read back: hello large object ☃'] },
];
