// The plugin's hooks on constructed sessions and result sets: which columns it asks for, what it masks, what it counts.
import type { ColumnInfo, PluginContext, QueryEvent, ResultSetInfo, Session, SluicePlugin } from '@sluice/core';
import { describe, expect, it } from 'vitest';
import factory from './index.js';
import { optionsSchema, type MaskingOptions, type ParsedOptions } from './options.js';
import { createMaskingPlugin } from './plugin.js';

function session(groups: string[] = ['analyst'], environment = 'test'): Session {
  return {
    id: 's-1',
    identity: { subject: 'u', name: 'u', groups, auth: 'password' },
    client: { address: '127.0.0.1', port: 1 },
    listener: 'pg',
    dialect: 'postgres',
    environment,
    startedAt: new Date(),
    state: {},
  };
}

function query(sql = 'select …'): QueryEvent {
  return { sql, dialect: 'postgres', via: 'simple', analysis: () => undefined, annotations: {} };
}

async function parse(options: MaskingOptions): Promise<ParsedOptions> {
  const result = await optionsSchema['~standard'].validate(options);
  if (result.issues) throw new Error(result.issues.map((i) => i.message).join('; '));
  return result.value;
}

/** Runs one result set through the plugin: the interest it declared and each row's full masked values. */
function run(plugin: SluicePlugin, columns: ColumnInfo[], rows: (string | null)[][], s = session(), q = query()) {
  const info: ResultSetInfo = { index: 0, columns };
  const interest = plugin.onResultSet!(s, q, info);
  if (!interest) return { interest, rows, patches: [], annotations: q.annotations };
  const wanted = new Set(interest.columns === 'all' ? columns.map((_, i) => i) : interest.columns);
  const patches = rows.map((row) => plugin.onRow!(s, { values: row.map((v, i) => (wanted.has(i) ? v : undefined)) }, info));
  const masked = rows.map((row, r) => row.map((v, i) => (patches[r]?.[i] === undefined ? v : patches[r]![i]!)));
  return { interest, rows: masked, patches, annotations: q.annotations };
}

const col = (name: string, type: string, table?: string): ColumnInfo => (table === undefined ? { name, type } : { name, type, table });

describe('zero config', () => {
  const plugin = createMaskingPlugin({});
  const columns = [
    col('id', 'int4', '16384'),
    col('name', 'text', '16384'),
    col('email', 'text', '16384'),
    col('phone', 'varchar', '16384'),
    col('created_at', 'timestamptz', '16384'),
    col('profile', 'jsonb', '16384'),
    col('tags', '_text', '16384'),
    col('active', 'bool', '16384'),
    col('date_of_birth', 'date', '16384'),
  ];
  const row = ['1', 'Ann Lee', 'ann@example.com', '+1 (415) 555-2671', '2024-01-15 10:00:00+00', '{"email": "ann@example.com", "n": 1}', '{vip,ann@example.com}', 't', '1987-06-15'];

  it('asks only for the columns that can hold sensitive values', () => {
    const { interest } = run(plugin, columns, [row]);
    expect(interest).toEqual({ columns: [1, 2, 3, 5, 6, 8] });
  });

  it('masks by column name, inside JSON and arrays, and keeps everything else', () => {
    const { rows, patches } = run(plugin, columns, [row]);
    expect(rows[0]).toEqual([
      '1',
      'Ann Lee',
      '****@example.com',
      '+* (***) ***-2671',
      '2024-01-15 10:00:00+00',
      '{"email": "****@example.com", "n": 1}',
      '{vip,****@example.com}',
      't',
      '1987-01-01',
    ]);
    // Sparse: unchanged positions are undefined, so they travel as the original bytes.
    expect(patches[0]![0]).toBeUndefined();
    expect(patches[0]![1]).toBeUndefined();
  });

  it('returns undefined for a row with nothing to mask, and keeps NULLs', () => {
    const { patches } = run(plugin, columns, [['2', 'Bob', null, null, null, null, null, null, null]]);
    expect(patches).toEqual([undefined]);
  });

  it('counts masked values per column in the query annotations', () => {
    const { annotations } = run(plugin, columns, [row, row, ['3', 'Cy', null, '', null, '{}', '{}', 'f', null]]);
    expect(annotations.masked).toEqual({
      '16384.email': { type: 'email', count: 2 },
      '16384.phone': { type: 'phone', count: 2 },
      '16384.profile': { type: 'email', count: 2 },
      '16384.tags': { type: 'email', count: 2 },
      '16384.date_of_birth': { type: 'dob', count: 2 },
    });
  });

  it('masks expressions by their values, keyed by column name when there is no table', () => {
    const { rows, annotations } = run(
      plugin,
      [col('upper', 'text'), col('?column?', 'text'), col('row_to_json', 'json')],
      [['ANN@EXAMPLE.COM', 'Ann <ann@example.com>', '{"id":1,"ssn":"123-45-6789","password":"hunter2","theme":"dark"}']],
    );
    expect(rows[0]).toEqual(['****@EXAMPLE.COM', 'Ann <****@example.com>', '{"id":1,"ssn":"***-**-6789","password":"********","theme":"dark"}']);
    expect(JSON.parse(rows[0]![2]!)).toMatchObject({ theme: 'dark' });
    expect(annotations.masked).toEqual({
      upper: { type: 'email', count: 1 },
      '?column?': { type: 'email', count: 1 },
      row_to_json: { type: 'ssn,password', count: 1 },
    });
  });

  it('classifies a scanned column from its values: after three emails, an odd value is masked too', () => {
    const { rows } = run(plugin, [col('x', 'text')], [['a@example.com'], ['b@example.com'], ['c@example.com'], ['not-an-email']]);
    expect(rows.map((r) => r[0])).toEqual(['****@example.com', '****@example.com', '****@example.com', '********']);
  });

  it('does not promote a column whose values only contain an email among other text', () => {
    const values = ['mail a@example.com', 'mail b@example.com', 'mail c@example.com', 'nothing here'];
    const { rows } = run(plugin, [col('note', 'text')], values.map((v) => [v]));
    expect(rows.map((r) => r[0])).toEqual(['mail ****@example.com', 'mail ****@example.com', 'mail ****@example.com', 'nothing here']);
  });

  it('masks values of a token or key column that look random, and leaves the rest', () => {
    const { rows } = run(plugin, [col('token', 'text'), col('key', 'text')], [
      ['Zk3pQ9rT2vXw8yB1nM4cL7dF', 'theme'],
      ['short', 'AKIAIOSFODNN7EXAMPLE'],
    ]);
    expect(rows).toEqual([
      ['********', 'theme'],
      ['short', '********'],
    ]);
  });

  it('masks a card_number bigint with digits and leaves other numbers alone', () => {
    const { interest, rows } = run(plugin, [col('card_number', 'int8'), col('amount', 'numeric')], [['4111111111111111', '12.50']]);
    expect(interest).toEqual({ columns: [0] });
    expect(rows[0]).toEqual(['1111', '12.50']);
  });

  it('masks every value of an inet column as an address', () => {
    const { rows } = run(plugin, [col('peer', 'inet')], [['203.0.113.7'], ['2001:db8::1/64']]);
    expect(rows.map((r) => r[0])).toEqual(['203.0.113.0', '2001:db8:0::/64']);
  });

  it('withholds a value it asked for but the driver could not decode (binary format)', () => {
    const info: ResultSetInfo = { index: 0, columns: [col('email', 'text')] };
    const s = session();
    const q = query();
    plugin.onResultSet!(s, q, info);
    expect(plugin.onRow!(s, { values: [undefined] }, info)).toEqual([null]);
    expect(q.annotations.masked).toEqual({ email: { type: 'unreadable', count: 1 } });
  });

  it('refuses a row of a result set it did not plan, rather than let it through', () => {
    expect(() => plugin.onRow!(session(), { values: ['a@example.com'] }, { index: 0, columns: [] })).toThrow(/masking/);
  });
});

describe('unmasked_groups', () => {
  it('does nothing at all for an identity in an unmasked group', async () => {
    const plugin = createMaskingPlugin(await parse({ unmasked_groups: ['pii-readers'] }));
    expect(run(plugin, [col('email', 'text')], [['a@example.com']], session(['staff', 'pii-readers'])).interest).toBeUndefined();
    expect(run(plugin, [col('email', 'text')], [['a@example.com']], session(['staff'])).rows).toEqual([['****@example.com']]);
  });
});

describe('rules', () => {
  it('a column rule with strategy none exempts the column (column-only glob)', async () => {
    const plugin = createMaskingPlugin(await parse({ rules: [{ column: 'support_email', strategy: 'none' }] }));
    const { interest } = run(plugin, [col('support_email', 'text'), col('email', 'text')], [['help@example.com', 'a@example.com']]);
    expect(interest).toEqual({ columns: [1] });
  });

  it('with the table unknown, a table rule applies when it masks and not when it exempts', async () => {
    const plugin = createMaskingPlugin(
      await parse({ rules: [{ column: 'customers.notes', strategy: 'redact' }, { column: 'customers.email', strategy: 'none' }] }),
    );
    const { rows } = run(plugin, [col('notes', 'text', '16384'), col('email', 'text', '16384')], [['hello', 'a@example.com']]);
    expect(rows[0]).toEqual(['********', '****@example.com']);
  });

  it('with the table known, a table glob matches schema.table.column by its tail', async () => {
    const plugin = createMaskingPlugin(
      await parse({ rules: [{ column: 'customers.notes', strategy: 'redact' }, { column: 'public.customers.email', strategy: 'none' }] }),
    );
    const { rows } = run(
      plugin,
      [col('notes', 'text', 'public.customers'), col('email', 'text', 'public.customers'), col('notes', 'text', 'public.orders')],
      [['hello', 'a@example.com', 'hello']],
    );
    expect(rows[0]).toEqual(['********', 'a@example.com', 'hello']);
  });

  it('as declares the type of a column whose name says nothing', async () => {
    const plugin = createMaskingPlugin(await parse({ rules: [{ column: 'contact', as: 'phone' }] }));
    expect(run(plugin, [col('contact', 'text')], [['ext. 4412 / 0171 5550123']]).rows[0]).toEqual(['ext. **** / **** ***0123']);
  });

  it('a type rule sets the strategy of a detected type, everywhere or in matching columns', async () => {
    const plugin = createMaskingPlugin(
      await parse({ rules: [{ column: 'audit_*', type: 'ip', strategy: 'none' }, { type: 'email', strategy: 'null' }] }),
    );
    const { rows } = run(plugin, [col('audit_log', 'text'), col('log', 'text'), col('who', 'text')], [['from 10.1.2.3', 'from 10.1.2.3', 'by a@example.com']]);
    expect(rows[0]).toEqual(['from 10.1.2.3', 'from 10.1.2.0', null]);
  });

  it('strategies per type, and the keyed hash keeps equal inputs equal', async () => {
    const plugin = createMaskingPlugin(await parse({ strategies: { email: 'hash' }, hash_key: 'k'.repeat(32) }));
    const { rows } = run(plugin, [col('email', 'text')], [['a@example.com'], ['b@example.com'], ['A@example.com']]);
    expect(rows[0]![0]).toMatch(/^[0-9a-f]{16}@hashed\.invalid$/);
    expect(rows[0]![0]).not.toBe(rows[1]![0]);
    expect(rows[2]![0]).toBe(rows[0]![0]);
  });

  it('detect: off masks only the columns rules name', async () => {
    const plugin = createMaskingPlugin(await parse({ detect: 'off', rules: [{ column: 'secret_notes', strategy: 'null' }] }));
    const { interest, rows } = run(plugin, [col('email', 'text'), col('secret_notes', 'text')], [['a@example.com', 'x']]);
    expect(interest).toEqual({ columns: [1] });
    expect(rows[0]).toEqual(['a@example.com', null]);
  });
});

describe('COPY … TO', () => {
  it('lets COPY … TO STDOUT through to be masked in onRow; refuses a server file or program for a masked identity unless copy_out is allow', async () => {
    const plugin = createMaskingPlugin(await parse({ unmasked_groups: ['pii-readers'] }));
    expect(plugin.onQuery!(session(), query('copy customers to stdout'))).toBeUndefined();
    expect(plugin.onQuery!(session(), query("copy customers to '/tmp/c.csv'"))).toMatchObject({ action: 'deny', rule: 'masking-copy-out' });
    expect(plugin.onQuery!(session(), query("copy customers to program 'cat'"))).toMatchObject({ action: 'deny', rule: 'masking-copy-out' });
    expect(plugin.onQuery!(session(), query('copy customers from stdin'))).toBeUndefined();
    expect(plugin.onQuery!(session(['pii-readers']), query("copy customers to '/tmp/c.csv'"))).toBeUndefined();
    const allowing = createMaskingPlugin(await parse({ copy_out: 'allow' }));
    expect(allowing.onQuery!(session(), query("copy customers to '/tmp/c.csv'"))).toBeUndefined();
    const maskingNothing = createMaskingPlugin(await parse({ detect: 'off' }));
    expect(maskingNothing.onQuery!(session(), query("copy customers to '/tmp/c.csv'"))).toBeUndefined();
  });
});

describe('environments', () => {
  it('applies an environment’s settings over the base ones', async () => {
    const plugin = createMaskingPlugin(await parse({ environments: { dev: { detect: 'off' }, prod: { unmasked_groups: ['dba'] } } }));
    const columns = [col('email', 'text')];
    expect(run(plugin, columns, [['a@example.com']], session(['dba'], 'dev')).interest).toBeUndefined();
    expect(run(plugin, columns, [['a@example.com']], session(['dba'], 'prod')).interest).toBeUndefined();
    expect(run(plugin, columns, [['a@example.com']], session(['dba'], 'test')).rows).toEqual([['****@example.com']]);
  });
});

describe('options', () => {
  const issues = async (options: unknown) => {
    const result = await optionsSchema['~standard'].validate(options);
    return result.issues?.map((i) => `${(i.path ?? []).map((p) => (typeof p === 'object' ? String(p.key) : String(p))).join('.')}: ${i.message}`) ?? [];
  };

  it('accepts no options at all', async () => {
    expect(await issues({})).toEqual([]);
  });

  it('refuses unknown keys, the hash strategy without a key, and rules that say nothing', async () => {
    expect(await issues({ detetc: 'auto' })).toHaveLength(1);
    expect(await issues({ strategies: { email: 'hash' } })).toEqual(['hash_key: the hash strategy needs hash_key']);
    expect(await issues({ environments: { prod: { rules: [{ type: 'card', strategy: 'hash' }] } } })).toEqual([
      'environments.prod.hash_key: the hash strategy needs hash_key',
    ]);
    expect(await issues({ rules: [{ column: 'x' }] })).toEqual(['rules.0.strategy: a rule without `as` needs a `strategy`']);
    expect(await issues({ rules: [{ strategy: 'redact' }] })).toEqual(['rules.0: a rule needs `column`, `type` or both']);
    expect(await issues({ strategies: { emial: 'redact' } })).toHaveLength(1);
  });

  it('never echoes the hash key in an issue', async () => {
    const found = await issues({ hash_key: 'short-secret' });
    expect(found.join(' ')).not.toContain('short-secret');
  });

  it('the default export is a factory with the schema attached', async () => {
    expect(factory.optionsSchema).toBe(optionsSchema);
    const context = { configDir: '.', log: console, registerSqlParser: () => undefined } as unknown as PluginContext;
    const plugin = await factory({}, context);
    expect(plugin.name).toBe('masking');
  });
});
