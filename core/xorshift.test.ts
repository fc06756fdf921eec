import { describe, expect, it } from 'vitest';
import { xorshift32 } from './xorshift.ts';

describe('xorshift32', () => {
  it('repeats its sequence for a seed, stays in [0, 1), and treats seed 0 as 1', () => {
    const a = xorshift32(7);
    const b = xorshift32(7);
    const values = Array.from({ length: 1000 }, () => a());
    expect(values).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(new Set(values).size).toBe(1000);
    // s = 1: 1 ^ 1<<13 = 8193; 8193 ^ 8193>>>17 = 8193; 8193 ^ 8193<<5 = 270369.
    expect(xorshift32(1)()).toBe(270369 / 2 ** 32);
    expect(xorshift32(0)()).toBe(xorshift32(1)());
  });
});
