import { describe, expect, it } from 'vitest';
import { partitionOfKey } from '../../schemas/topic-keys.ts';
import { partitionOfParts } from './key-partition.ts';

describe('partitionOfParts', () => {
  it('equals partitionOfKey of the concatenated key, ASCII or not, of any length', () => {
    let seed = 99;
    const rand = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const alphabet = '0123456789abcdefABCDEF:x|~ ';
    const part = (): string => {
      const length = Math.floor(rand() * (rand() < 0.05 ? 300 : 50));
      let s = '';
      for (let i = 0; i < length; i++)
        s += rand() < 0.02 ? 'é€😀'[Math.floor(rand() * 3)] : alphabet[Math.floor(rand() * alphabet.length)];
      return s;
    };
    for (let i = 0; i < 3000; i++) {
      const [a, b, c] = [part(), part(), part()];
      for (const partitions of [1, 3, 6, 7, 64])
        expect(partitionOfParts(a, b, c, partitions)).toBe(partitionOfKey(a + b + c, partitions));
    }
    const address = '0x' + 'ab'.repeat(20);
    const token = '0x' + 'cd'.repeat(20);
    expect(partitionOfParts('1:', address, `:${token}`, 6)).toBe(partitionOfKey(`1:${address}:${token}`, 6));
    expect(partitionOfParts(`1:${token}`, '', '', 6)).toBe(partitionOfKey(`1:${token}`, 6));
  });
});
