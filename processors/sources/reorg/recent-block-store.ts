/**
 * Port for the hashes of the last `confirmations + margin` blocks the source
 * published. Synchronous because the production store is LMDB (synchronous reads,
 * writes committed in the same transaction as the checkpoint); the in-memory
 * implementation below serves tests and dry runs.
 */
import type { BlockRef } from './block-ref.ts';

export interface RecentBlockStore {
  get(number: number): BlockRef | undefined;
  /** Highest stored block, the tip the next block must extend. */
  latest(): BlockRef | undefined;
  /** Lowest stored block number: a reorg deeper than this cannot be resolved from the store. */
  oldest(): number | undefined;
  put(ref: BlockRef): void;
  /** Removes every block with number >= `number` (orphaned by a reorg). */
  deleteFrom(number: number): void;
  /** Keeps only blocks with number >= `number`. */
  pruneBelow(number: number): void;
}

export function createMemoryBlockStore(initial: readonly BlockRef[] = []): RecentBlockStore {
  const byNumber = new Map<number, BlockRef>();
  for (const ref of initial) byNumber.set(ref.number, ref);
  const numbers = () => [...byNumber.keys()];
  return {
    get: (n) => byNumber.get(n),
    latest() {
      const all = numbers();
      return all.length === 0 ? undefined : byNumber.get(Math.max(...all));
    },
    oldest() {
      const all = numbers();
      return all.length === 0 ? undefined : Math.min(...all);
    },
    put(ref) {
      byNumber.set(ref.number, ref);
    },
    deleteFrom(n) {
      for (const k of numbers()) if (k >= n) byNumber.delete(k);
    },
    pruneBelow(n) {
      for (const k of numbers()) if (k < n) byNumber.delete(k);
    },
  };
}
