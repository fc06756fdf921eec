import { describe, expect, it } from 'vitest';
import { xorshift32 } from '../../../core/xorshift.ts';
import { IntPairIndex } from './int-pair-index.ts';

describe('IntPairIndex', () => {
  it('gives pairs dense ids in order of first sight, like a Map of their keys, through growth', () => {
    const rand = xorshift32(11);
    const index = new IntPairIndex(16);
    const reference = new Map<string, number>();
    for (let i = 0; i < 50_000; i++) {
      // Small ranges repeat pairs and collide; large ones grow the table.
      const range = i % 2 === 0 ? 64 : 2 ** 30;
      const a = Math.floor(rand() * range);
      const b = Math.floor(rand() * range);
      const key = `${a},${b}`;
      const expected = reference.get(key) ?? reference.size;
      reference.set(key, expected);
      expect(index.idOf(a, b)).toBe(expected);
    }
    expect(index.size).toBe(reference.size);
    for (const [key, id] of reference) {
      const [a, b] = key.split(',').map(Number) as [number, number];
      expect(index.find(a, b)).toBe(id);
      expect([index.firstOf(id), index.secondOf(id)]).toEqual([a, b]);
    }
    expect(index.find(2 ** 31 - 1, 0)).toBe(-1);
  });

  it('forgets the pairs added after a truncation point, and numbers them again the same way', () => {
    const index = new IntPairIndex();
    for (let i = 0; i < 1000; i++) index.idOf(i % 37, i);
    index.truncate(400);
    expect(index.size).toBe(400);
    expect(index.find(399 % 37, 399)).toBe(399);
    expect(index.find(400 % 37, 400)).toBe(-1);
    expect(index.idOf(700 % 37, 700)).toBe(400);
    expect(() => index.firstOf(401)).toThrow(RangeError);
    expect(() => index.truncate(402)).toThrow(RangeError);
  });
});
