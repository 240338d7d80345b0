// Reference-counted resources shared across reloads.
import { describe, expect, it } from 'vitest';
import { SharedResources } from './shared.js';

describe('SharedResources', () => {
  it('creates a resource once, shares it, and closes it when the last lease is released', async () => {
    const closed: string[] = [];
    const shared = new SharedResources<{ name: string }>(async (value) => void closed.push(value.name));
    let created = 0;
    const create = async () => ({ name: `r${++created}` });
    const different: string[] = [];
    const a = await shared.acquire('k', 'opts-1', create);
    const b = await shared.acquire('k', 'opts-2', create, () => different.push('k'));
    expect(b.value).toBe(a.value);
    expect(created).toBe(1);
    expect(different).toEqual(['k']);
    expect(a.holders()).toBe(2);
    expect(await a.release()).toBe(false);
    expect(await a.release()).toBe(false);
    expect(closed).toEqual([]);
    expect(await b.release()).toBe(true);
    expect(closed).toEqual(['r1']);
    const c = await shared.acquire('k', 'opts-1', create);
    expect(c.value.name).toBe('r2');
  });

  it('forgets a resource whose creation failed', async () => {
    const shared = new SharedResources<number>(async () => undefined);
    await expect(shared.acquire('k', '', async () => Promise.reject(new Error('nope')))).rejects.toThrow('nope');
    expect((await shared.acquire('k', '', async () => 7)).value).toBe(7);
  });
});
