import { describe, expect, it } from 'vitest';
import { AnomalyParameterError } from './errors.ts';
import { createSlidingWindow, isWindowFull, pushToWindow } from './sliding-window.ts';

describe('sliding window', () => {
  it('keeps the last values in order and sorted, evicting the oldest', () => {
    const w = createSlidingWindow(3);
    expect([5, 1, 4].map((x) => pushToWindow(w, x))).toEqual([undefined, undefined, undefined]);
    expect(isWindowFull(w)).toBe(true);
    expect(pushToWindow(w, 2)).toBe(5);
    expect(w.values).toEqual([1, 4, 2]);
    expect(w.sorted).toEqual([1, 2, 4]);
  });

  it('handles duplicates on eviction', () => {
    const w = createSlidingWindow(2);
    [3, 3, 3, 1].forEach((x) => pushToWindow(w, x));
    expect(w.sorted).toEqual([1, 3]);
  });

  it('rejects bad capacities and non-finite values', () => {
    expect(() => createSlidingWindow(0)).toThrow(AnomalyParameterError);
    expect(() => pushToWindow(createSlidingWindow(2), NaN)).toThrow(AnomalyParameterError);
  });
});
