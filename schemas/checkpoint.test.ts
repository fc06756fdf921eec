import { describe, expect, it } from 'vitest';
import { CHECKPOINT_LENGTH, decodeCheckpoint, encodeCheckpoint, type Checkpoint } from './checkpoint.ts';

const cp = (p: Partial<Checkpoint>): Checkpoint => ({
  timestampMs: 0,
  chainId: 0,
  blockNumber: 0,
  txIndex: 0,
  logIndex: 0,
  ...p,
});

describe('checkpoint', () => {
  it('is fixed-width digits and round-trips', () => {
    const value = cp({ timestampMs: 1_700_000_000_000, chainId: 1, blockNumber: 18_500_000, txIndex: 142, logIndex: 387 });
    const encoded = encodeCheckpoint(value);
    expect(encoded).toHaveLength(CHECKPOINT_LENGTH);
    expect(encoded).toMatch(/^\d+$/);
    expect(decodeCheckpoint(encoded)).toEqual(value);
  });

  it('sorts lexically in tuple order (timestamp, chain, block, tx, log)', () => {
    const tuples: Checkpoint[] = [
      cp({ timestampMs: 2, chainId: 1 }),
      cp({ timestampMs: 1, chainId: 10 }),
      cp({ timestampMs: 1, chainId: 2, blockNumber: 100 }),
      cp({ timestampMs: 1, chainId: 2, blockNumber: 99, txIndex: 10 }),
      cp({ timestampMs: 1, chainId: 2, blockNumber: 99, txIndex: 9, logIndex: 1000 }),
      cp({ timestampMs: 1, chainId: 2, blockNumber: 99, txIndex: 9, logIndex: 2 }),
    ];
    const byTuple = [...tuples].sort(
      (a, b) =>
        a.timestampMs - b.timestampMs ||
        a.chainId - b.chainId ||
        a.blockNumber - b.blockNumber ||
        a.txIndex - b.txIndex ||
        a.logIndex - b.logIndex,
    );
    const byString = [...tuples].sort((a, b) => (encodeCheckpoint(a) < encodeCheckpoint(b) ? -1 : 1));
    expect(byString).toEqual(byTuple);
  });

  it('accepts bigint parts (viem block numbers)', () => {
    expect(encodeCheckpoint({ timestampMs: 1n, chainId: 1n, blockNumber: 2n ** 40n, txIndex: 0n, logIndex: 0n })).toBe(
      encodeCheckpoint(cp({ timestampMs: 1, chainId: 1, blockNumber: 2 ** 40 })),
    );
  });

  it('refuses parts that do not fit and strings that are not checkpoints', () => {
    expect(() => encodeCheckpoint(cp({ logIndex: -1 }))).toThrow(RangeError);
    expect(() => encodeCheckpoint(cp({ txIndex: 10_000_000_000 }))).toThrow(/txIndex/);
    expect(() => decodeCheckpoint('123')).toThrow(RangeError);
    expect(() => decodeCheckpoint('x'.repeat(CHECKPOINT_LENGTH))).toThrow(RangeError);
  });
});
