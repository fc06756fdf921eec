import { describe, expect, it } from 'vitest';
import { MAD_CONSISTENCY, robustBaseline, robustZscore, robustZscoreOnline } from './robust-zscore.ts';
import { createSlidingWindow, pushToWindow } from './sliding-window.ts';
import { randomValues } from './test-random.ts';

describe('robust z-score', () => {
  it('is (x - median) / (1.4826 * MAD), insensitive to an outlier in the baseline', () => {
    // median 3, |b - 3| = 2 1 0 1 97 -> MAD 1
    expect(robustBaseline([1, 2, 3, 4, 100])).toEqual({ center: 3, spread: 1.4826 });
    expect(robustZscore(10, [1, 2, 3, 4, 100])).toBeCloseTo(7 / 1.4826, 12); // 4.7214...
    expect(MAD_CONSISTENCY).toBe(1.4826);
  });

  it('falls back to 1.2533 * mean absolute deviation when MAD is 0', () => {
    // median 5, deviations 0 0 0 0 1 -> MAD 0, meanAD 0.2 -> spread 0.25066
    const b = robustBaseline([5, 5, 5, 5, 6]);
    expect(b.center).toBe(5);
    expect(b.spread).toBeCloseTo(1.2533 * 0.2, 12);
    expect(robustZscore(6, [5, 5, 5, 5, 6])).toBeCloseTo(1 / (1.2533 * 0.2), 10); // 3.9895
  });

  it('treats a flat baseline with the zero-spread convention', () => {
    expect(robustZscore(5, [5, 5, 5])).toBe(0);
    expect(robustZscore(6, [5, 5, 5])).toBe(Infinity);
  });

  it('online over a sliding window equals batch over the same last values', () => {
    for (const capacity of [1, 2, 7, 30]) {
      const xs = randomValues(capacity, 300);
      const window = createSlidingWindow(capacity);
      xs.forEach((x, i) => {
        if (i > 0) expect(robustZscoreOnline(window, x)).toBe(robustZscore(x, xs.slice(Math.max(0, i - capacity), i)));
        pushToWindow(window, x);
      });
    }
  });
});
