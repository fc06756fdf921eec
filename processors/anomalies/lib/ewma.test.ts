import { describe, expect, it } from 'vitest';
import { AnomalyParameterError } from './errors.ts';
import { alphaFromSpan, createEwmaState, ewma, ewmaZscore, updateEwma } from './ewma.ts';
import { randomValues } from './test-random.ts';

describe('EWMA mean and variance', () => {
  it('follows the recursion by hand (alpha 0.5 on 1, 2, 3)', () => {
    const s = createEwmaState(0.5);
    updateEwma(s, 1); // m 1, v 0
    updateEwma(s, 2); // d 1: m 1.5, v 0.5 * (0 + 0.5 * 1) = 0.25
    expect([s.mean, s.variance]).toEqual([1.5, 0.25]);
    updateEwma(s, 3); // d 1.5: m 2.25, v 0.5 * (0.25 + 0.5 * 2.25) = 0.6875
    expect([s.mean, s.variance]).toEqual([2.25, 0.6875]);
  });

  it('batch weighted form gives the same by hand', () => {
    // weights .25 .25 .5: mean 2.25; variance .25*1.5625 + .25*.0625 + .5*.5625 = .6875
    expect(ewma([1, 2, 3], 0.5)).toEqual({ mean: 2.25, variance: 0.6875 });
  });

  it('online equals batch on the same data', () => {
    for (const alpha of [0.05, 0.3, 1]) {
      const xs = randomValues(Math.round(alpha * 100), 150);
      const s = createEwmaState(alpha);
      xs.forEach((x, i) => {
        updateEwma(s, x);
        const b = ewma(xs.slice(0, i + 1), alpha);
        expect(s.mean).toBeCloseTo(b.mean, 9);
        expect(s.variance).toBeCloseTo(b.variance, 7);
      });
    }
  });

  it('scores the residual against the state before the point', () => {
    const s = createEwmaState(0.5);
    expect(ewmaZscore(s, 1)).toBeNaN();
    [1, 2, 3].forEach((x) => updateEwma(s, x));
    expect(ewmaZscore(s, 2.25 + 2 * Math.sqrt(0.6875))).toBeCloseTo(2, 12);
  });

  it('validates alpha and converts a span', () => {
    expect(alphaFromSpan(9)).toBe(0.2);
    expect(() => createEwmaState(0)).toThrow(AnomalyParameterError);
    expect(() => createEwmaState(1.5)).toThrow(AnomalyParameterError);
  });
});
