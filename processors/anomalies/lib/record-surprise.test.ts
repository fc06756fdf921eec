import { describe, expect, it } from 'vitest';
import { recordSurprise } from './record-surprise.ts';

describe('recordSurprise', () => {
  const history = [1, 2, 3, 4, 5, 6, 7, 8, 9];

  it('is the log conformal p-value inside the history', () => {
    // c = min(#>=5, #<=5) = 5: 0.9 * ln(10 / 6) / ln(10)
    expect(recordSurprise(history, 5)).toBeCloseTo((0.9 * Math.log(10 / 6)) / Math.log(10), 15);
    // c = min(#>=9, #<=9) = 1: 0.9 * ln(10 / 2) / ln(10)
    expect(recordSurprise(history, 9)).toBeCloseTo((0.9 * Math.log(5)) / Math.log(10), 15);
  });

  it('grows with the size of a record break, on both sides', () => {
    // e = 1 / 8: 0.9 + 0.1 * 0.125 / 0.175
    expect(recordSurprise(history, 10)).toBeCloseTo(0.9 + (0.1 * 0.125) / 0.175, 15);
    expect(recordSurprise(history, 0)).toBeCloseTo(0.9 + (0.1 * 0.125) / 0.175, 15);
    expect(recordSurprise(history, 9.0000001)).toBeGreaterThanOrEqual(0.9);
    expect(recordSurprise(history, 100)).toBeGreaterThan(recordSurprise(history, 10));
  });

  it('handles empty and flat histories', () => {
    expect(recordSurprise([], 3)).toBe(0);
    expect(recordSurprise([2, 2, 2], 2)).toBeCloseTo((0.9 * Math.log(4 / 4)) / Math.log(4), 15);
    expect(recordSurprise([2, 2, 2], 3)).toBe(1);
  });
});
