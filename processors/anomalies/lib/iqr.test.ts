import { describe, expect, it } from 'vitest';
import { AnomalyParameterError } from './errors.ts';
import { iqrBounds, iqrBoundsOnline } from './iqr.ts';
import { createSlidingWindow, pushToWindow } from './sliding-window.ts';
import { randomValues } from './test-random.ts';

describe('iqrBounds', () => {
  it('computes Tukey fences by hand', () => {
    // q1: h = 7 * 0.25 = 1.75 -> 2.75; q3: h = 5.25 -> 6.25; IQR 3.5
    expect(iqrBounds([8, 1, 7, 2, 6, 3, 5, 4], 1.5)).toEqual({ q1: 2.75, q3: 6.25, iqr: 3.5, lower: -2.5, upper: 11.5 });
    expect(iqrBounds([1, 2, 3, 4, 5, 6, 7, 8], 3).upper).toBe(16.75);
  });

  it('rejects a negative k', () => {
    expect(() => iqrBounds([1, 2], -1)).toThrow(AnomalyParameterError);
  });

  it('online over a sliding window equals batch', () => {
    const xs = randomValues(7, 200);
    const window = createSlidingWindow(25);
    xs.forEach((x, i) => {
      pushToWindow(window, x);
      expect(iqrBoundsOnline(window, 1.5)).toEqual(iqrBounds(xs.slice(Math.max(0, i - 24), i + 1), 1.5));
    });
  });
});
