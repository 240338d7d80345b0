import { afterEach, describe, expect, it, vi } from 'vitest';
import { atTime } from './expiry-timer.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('atTime', () => {
  it('runs at the moment, across setTimeout’s 24.8-day limit', () => {
    vi.useFakeTimers({ now: 0 });
    const run = vi.fn();
    atTime(new Date(40 * 24 * 3600 * 1000), run);
    vi.advanceTimersByTime(40 * 24 * 3600 * 1000 - 1);
    expect(run).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(run).toHaveBeenCalledOnce();
  });

  it('runs at once for a moment already past, and not at all once cancelled', () => {
    vi.useFakeTimers({ now: 10_000 });
    const past = vi.fn();
    atTime(new Date(5_000), past);
    expect(past).toHaveBeenCalledOnce();
    const later = vi.fn();
    const cancel = atTime(new Date(20_000), later);
    cancel();
    vi.advanceTimersByTime(20_000);
    expect(later).not.toHaveBeenCalled();
  });
});
