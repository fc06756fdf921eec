import { describe, expect, it } from 'vitest';
import { randomValues } from './test-random.ts';
import { createWelfordState, standardize, updateWelford, welfordVariance, zscore, zscoreOnline } from './zscore.ts';

describe('zscore', () => {
  it('is (x - mean) / population std', () => {
    expect(zscore(9, [2, 4, 4, 4, 5, 5, 7, 9])).toBe(2); // (9 - 5) / 2
    expect(zscore(3, [2, 4, 4, 4, 5, 5, 7, 9])).toBe(-1);
  });

  it('handles a zero spread explicitly', () => {
    expect(zscore(5, [5, 5, 5])).toBe(0);
    expect(zscore(6, [5, 5, 5])).toBe(Infinity);
    expect(zscore(4, [5, 5, 5])).toBe(-Infinity);
    expect(zscore(6, [5, 5, 5], { minSpread: 0.5 })).toBe(2);
    expect(standardize(7, 5, 1, { minSpread: 4 })).toBe(0.5);
  });

  it('online (Welford) gives the batch result on the same data', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const xs = randomValues(seed, 200);
      const state = createWelfordState();
      xs.forEach((x, i) => {
        if (i >= 2) expect(zscoreOnline(state, x)).toBeCloseTo(zscore(x, xs.slice(0, i)), 9);
        updateWelford(state, x);
      });
      expect(welfordVariance(state)).toBeCloseTo(xs.reduce((s, x) => s + (x - state.mean) ** 2, 0) / xs.length, 9);
    }
  });

  it('keeps its state as plain JSON', () => {
    const state = createWelfordState();
    [1, 2, 3].forEach((x) => updateWelford(state, x));
    const copy = JSON.parse(JSON.stringify(state)) as typeof state;
    expect(zscoreOnline(copy, 4)).toBe(zscoreOnline(state, 4));
  });
});
