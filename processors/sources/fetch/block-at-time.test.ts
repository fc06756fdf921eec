import { describe, expect, it } from 'vitest';
import { firstBlockAtOrAfter } from './block-at-time.ts';

describe('firstBlockAtOrAfter (binary search over non-decreasing block timestamps)', () => {
  // Blocks 0..9 with equal timestamps at 3-4 and a gap after 6, as real chains have.
  const timestamps = [100n, 112n, 124n, 136n, 136n, 148n, 160n, 400n, 412n, 424n];
  const timestampOf = async (n: bigint): Promise<bigint> => timestamps[Number(n)] as bigint;
  const latest = BigInt(timestamps.length - 1);

  it('finds the first block at or after a time, also on ties and inside gaps', async () => {
    expect(await firstBlockAtOrAfter(timestampOf, latest, 0n)).toBe(0n);
    expect(await firstBlockAtOrAfter(timestampOf, latest, 100n)).toBe(0n);
    expect(await firstBlockAtOrAfter(timestampOf, latest, 101n)).toBe(1n);
    expect(await firstBlockAtOrAfter(timestampOf, latest, 136n)).toBe(3n);
    expect(await firstBlockAtOrAfter(timestampOf, latest, 161n)).toBe(7n);
    expect(await firstBlockAtOrAfter(timestampOf, latest, 424n)).toBe(9n);
    expect(await firstBlockAtOrAfter(timestampOf, latest, 425n)).toBeNull();
  });

  it('agrees with a linear scan for every time in range', async () => {
    for (let t = 90n; t <= 430n; t++) {
      const linear = timestamps.findIndex((ts) => ts >= t);
      expect(await firstBlockAtOrAfter(timestampOf, latest, t)).toBe(linear < 0 ? null : BigInt(linear));
    }
  });
});
