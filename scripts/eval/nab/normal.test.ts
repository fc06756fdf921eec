import { describe, expect, it } from 'vitest';
import { erfc, normalUpperTail } from './normal.ts';

describe('erfc and the normal tail', () => {
  // Reference values of erfc to 16+ digits (Abramowitz & Stegun / any arbitrary-precision tool).
  const cases: [number, number][] = [
    [0, 1],
    [0.5, 0.4795001221869535],
    [1, 0.15729920705028513],
    [2, 0.004677734981047266],
    [3, 2.209049699858544e-5],
    [5, 1.5374597944280349e-12],
    [10, 2.088487583762545e-45],
    [-1, 1.8427007929497148],
  ];
  it.each(cases)('erfc(%f) to 1e-14 relative', (x, expected) => {
    expect(Math.abs(erfc(x) - expected) / expected).toBeLessThan(1e-14);
  });

  it('gives the usual normal quantiles', () => {
    expect(normalUpperTail(0)).toBe(0.5);
    expect(normalUpperTail(1.959963984540054)).toBeCloseTo(0.025, 15);
    expect(normalUpperTail(-1.959963984540054)).toBeCloseTo(0.975, 15);
    expect(normalUpperTail(Infinity)).toBe(0);
  });
});
