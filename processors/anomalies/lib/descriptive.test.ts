import { describe, expect, it } from 'vitest';
import { compensatedSum, mean, median, medianAbsoluteDeviation, quantile, standardDeviation, variance } from './descriptive.ts';
import { EmptySampleError } from './errors.ts';
import { randomValues } from './test-random.ts';

describe('descriptive statistics', () => {
  it('computes mean, population variance and std by hand', () => {
    const xs = [2, 4, 4, 4, 5, 5, 7, 9]; // mean 5, squared deviations sum 32, /8 = 4
    expect(mean(xs)).toBe(5);
    expect(variance(xs)).toBe(4);
    expect(standardDeviation(xs)).toBe(2);
  });

  it('sums without losing small terms', () => {
    expect(compensatedSum([1e16, 1, -1e16])).toBe(1);
  });

  it('takes medians and type-7 quantiles', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    // h = (4 - 1) * 0.25 = 0.75 -> 1 + 0.75 * (2 - 1)
    expect(quantile([4, 3, 2, 1], 0.25)).toBe(1.75);
    expect(quantile([1, 2, 3, 4], 1)).toBe(4);
  });

  it('computes the MAD by hand, odd and even sizes', () => {
    // median 2, |x - 2| = 1 1 0 0 2 4 7 -> median 1
    expect(medianAbsoluteDeviation([1, 1, 2, 2, 4, 6, 9])).toBe(1);
    // median 2.5, deviations 1.5 .5 .5 1.5 -> 1
    expect(medianAbsoluteDeviation([1, 2, 3, 4])).toBe(1);
  });

  it('matches a brute-force MAD on random samples with ties', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const xs = randomValues(seed, 1 + (seed % 23));
      const m = median(xs);
      expect(medianAbsoluteDeviation(xs)).toBe(median(xs.map((x) => Math.abs(x - m))));
    }
  });

  it('refuses empty samples with a typed error', () => {
    expect(() => mean([])).toThrow(EmptySampleError);
    expect(() => median([])).toThrow(EmptySampleError);
  });
});
