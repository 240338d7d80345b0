import { describe, expect, it } from 'vitest';
import { ConnectionIds, parseKill } from './connection-ids.js';

describe('parseKill', () => {
  it('finds the id of KILL, KILL QUERY and KILL CONNECTION alone in a statement', () => {
    expect(parseKill('KILL 1073741825')).toEqual({ before: 'KILL ', id: 1073741825, after: '' });
    expect(parseKill(' kill query 42;')).toEqual({ before: ' kill query ', id: 42, after: ';' });
    expect(parseKill('KILL CONNECTION 7 ')).toMatchObject({ id: 7 });
  });

  it('leaves anything else alone', () => {
    expect(parseKill('KILL QUERY ID 42')).toBeUndefined();
    expect(parseKill('select 1; KILL 42')).toBeUndefined();
    expect(parseKill('KILL USER bob')).toBeUndefined();
  });
});

describe('ConnectionIds', () => {
  it('hands out ids above any server thread id and maps them to the server thread while registered', () => {
    const ids = new ConnectionIds();
    const id = ids.next();
    expect(id).toBeGreaterThanOrEqual(0x40000000);
    expect(ids.isSluiceId(id)).toBe(true);
    expect(ids.isSluiceId(12)).toBe(false);
    const release = ids.register(id, { upstreamId: 12, subject: 'alice' });
    expect(ids.find(id)).toEqual({ upstreamId: 12, subject: 'alice' });
    release();
    expect(ids.find(id)).toBeUndefined();
  });
});
