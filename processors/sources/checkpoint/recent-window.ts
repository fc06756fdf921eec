import type { BlockRef } from '../reorg/block-ref.ts';
import type { RecentBlockStore } from '../reorg/recent-block-store.ts';

/** A published block as the source remembers it: enough to detect reorgs and to retract it. */
export interface RecentBlock extends BlockRef {
  /** Block timestamp × 1000: retractions repeat it (same daily window, same table partition). */
  timestampMs: number;
}

/** The recent-hash window: a RecentBlockStore that also lists and clones its entries (LMDB snapshots, rollbacks). */
export interface RecentWindow extends RecentBlockStore {
  get(number: number): RecentBlock | undefined;
  latest(): RecentBlock | undefined;
  put(ref: RecentBlock): void;
  entries(): RecentBlock[];
  clone(): RecentWindow;
  readonly size: number;
}

export function createRecentWindow(initial: readonly RecentBlock[] = []): RecentWindow {
  const byNumber = new Map<number, RecentBlock>();
  let max: number | undefined;
  let min: number | undefined;
  const recompute = () => {
    max = undefined;
    min = undefined;
    for (const n of byNumber.keys()) {
      if (max === undefined || n > max) max = n;
      if (min === undefined || n < min) min = n;
    }
  };
  for (const b of initial) byNumber.set(b.number, { ...b });
  recompute();
  const window: RecentWindow = {
    get: (n) => byNumber.get(n),
    latest: () => (max === undefined ? undefined : byNumber.get(max)),
    oldest: () => min,
    put(ref) {
      byNumber.set(ref.number, { number: ref.number, hash: ref.hash, parentHash: ref.parentHash, timestampMs: ref.timestampMs });
      if (max === undefined || ref.number > max) max = ref.number;
      if (min === undefined || ref.number < min) min = ref.number;
    },
    deleteFrom(n) {
      for (const k of [...byNumber.keys()]) if (k >= n) byNumber.delete(k);
      recompute();
    },
    pruneBelow(n) {
      for (const k of [...byNumber.keys()]) if (k < n) byNumber.delete(k);
      recompute();
    },
    entries: () => [...byNumber.values()].sort((a, b) => a.number - b.number),
    clone: () => createRecentWindow([...byNumber.values()]),
    get size() {
      return byNumber.size;
    },
  };
  return window;
}
