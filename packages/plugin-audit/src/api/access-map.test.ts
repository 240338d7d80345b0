// The data access map from records: reads and writes, masked and clear, table entries, prepares and denials left out.
import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../record/types.js';
import { AccessMapBuilder } from './access-map.js';

let seq = 0;
function query(overrides: Partial<AuditRecord> & { statement: AuditRecord['statement'] }): AuditRecord {
  seq++;
  return { v: 1, ts: `2026-11-23T08:00:${String(seq).padStart(2, '0')}.000Z`, seq, prev: '', hash: String(seq), event: 'query', environment: 'prod', identity: { name: 'bob', groups: ['analyst'] }, decision: { action: 'allow' }, ...overrides };
}

const select = (sql: string, columns: { table?: string; name: string }[], masked?: AuditRecord['masked']) =>
  query({
    statement: { sql, fingerprint: 'f', via: 'simple', kinds: ['select'], tables: [{ name: 'public.customers', access: 'read' }], columns: columns.map((c) => ({ ...c, access: 'read' as const })) },
    ...(masked ? { masked } : {}),
  });

describe('the access map', () => {
  it('counts reads of a column as masked or clear, and the table as a whole', () => {
    const map = new AccessMapBuilder();
    map.add(select('select email from public.customers', [{ table: 'public.customers', name: 'email' }], { 'public.customers.email': { type: 'email', count: 3 } }));
    map.add(select('select email from public.customers', [{ table: 'public.customers', name: 'email' }]));
    const { entries, environments } = map.build();
    expect(environments).toEqual(['prod']);
    expect(entries).toEqual([
      expect.objectContaining({ table: 'public.customers', column: null, read: 2, write: 0, masked: 1, clear: 1, statements: 2 }),
      expect.objectContaining({ table: 'public.customers', column: 'email', read: 2, masked: 1, clear: 1, last: '2026-11-23T08:00:02.000Z' }),
    ]);
  });

  it('puts the masked columns of a select * under the one table it read, whatever the server called the table', () => {
    const map = new AccessMapBuilder();
    map.add(select('select * from public.customers', [{ table: 'public.customers', name: '*' }], { '16384.email': { type: 'email', count: 2 } }));
    const columns = map.build().entries.map((entry) => [entry.column, entry.masked, entry.clear]);
    expect(columns).toEqual([[null, 1, 0], ['*', 0, 1], ['email', 1, 0]]);
  });

  it('counts writes, and leaves out denials, bare prepares and other events', () => {
    const map = new AccessMapBuilder();
    const update = { sql: 'update customers set name = $1 where id = $2', fingerprint: 'f', kinds: ['update'], tables: [{ name: 'customers', access: 'write' as const }], columns: [{ table: 'customers', name: 'name', access: 'write' as const }, { table: 'customers', name: 'id', access: 'read' as const }] };
    map.add(query({ statement: { ...update, via: 'prepare' } }));
    map.add(query({ statement: { ...update, via: 'execute' } }));
    map.add(query({ statement: { ...update, via: 'simple' }, decision: { action: 'deny', rule: 'no' } }));
    map.add(query({ event: 'connect', statement: undefined }));
    expect(map.build().entries.map((entry) => [entry.table, entry.column, entry.read, entry.write])).toEqual([
      ['customers', null, 0, 1],
      ['customers', 'id', 1, 0],
      ['customers', 'name', 0, 1],
    ]);
  });

  it('keeps identities and environments apart, sorted', () => {
    const map = new AccessMapBuilder();
    map.add({ ...select('select name from customers', [{ name: 'name' }]), environment: 'staging', identity: { name: 'zoe' } });
    map.add({ ...select('select name from customers', [{ name: 'name' }]), environment: 'dev', identity: { name: 'amy' } });
    const { entries, environments } = map.build();
    expect(environments).toEqual(['dev', 'staging']);
    expect(entries.map((entry) => [entry.environment, entry.identity, entry.table, entry.column])).toEqual([
      ['dev', 'amy', 'public.customers', null],
      ['dev', 'amy', 'public.customers', 'name'],
      ['staging', 'zoe', 'public.customers', null],
      ['staging', 'zoe', 'public.customers', 'name'],
    ]);
  });
});
