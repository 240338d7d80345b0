// Reading what a COPY … TO STDOUT copies and how it writes it.
import { describe, expect, it } from 'vitest';
import { copyFormat } from './copy-rows.js';
import { parseCopyOut } from './copy-statement.js';

describe('parseCopyOut', () => {
  it.each([
    ['copy t to stdout', 'select * from t', copyFormat('text')],
    ['COPY public."My T" (email, "Phone") TO STDOUT;', 'select email, "Phone" from public."My T"', copyFormat('text')],
    ['copy (select id, email from t where x = \'to stdout\' and y in (select (1))) to stdout with csv', "select id, email from t where x = 'to stdout' and y in (select (1))", copyFormat('csv')],
    ['copy t to stdout with (format csv, header, delimiter \';\', null \'NULL\', quote \'\'\'\', escape E\'\\\\\', force_quote *)', 'select * from t', copyFormat('csv', { header: true, delimiter: ';', null: 'NULL', quote: "'", escape: '\\' })],
    ['copy t to stdout (format text, header false, delimiter E\'\\t\', encoding \'UTF8\')', 'select * from t', copyFormat('text', { header: false })],
    ['copy t to stdout with (format binary)', 'select * from t', copyFormat('binary')],
    ['copy binary t to stdout', 'select * from t', copyFormat('binary')],
    ["copy t to stdout with delimiter as '|' null as '' csv header quote as '\"' force quote email, phone", 'select * from t', copyFormat('csv', { delimiter: '|', null: '', header: true, quote: '"' })],
    ['/* c */ copy t -- to file\n to stdout', 'select * from t', copyFormat('text')],
  ])('%s', (sql, describeSql, format) => {
    expect(parseCopyOut(sql)).toEqual({ describeSql, format });
  });

  it.each([
    "copy t to '/tmp/t'",
    'copy t from stdin',
    'select 1',
    'copy t to stdout; select 1',
    "copy t to stdout with (encoding 'LATIN1')",
    "copy t to stdout with (delimiter '||')",
    'copy t to stdout with (format xml)',
    'copy (select 1 to stdout',
  ])('%s is not read', (sql) => {
    expect(parseCopyOut(sql)).toBeUndefined();
  });
});
