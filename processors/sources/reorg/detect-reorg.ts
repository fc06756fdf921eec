/**
 * Pure reorg detection: compares a newly fetched block with the stored hashes of
 * recent blocks and, on a fork, walks back to the common ancestor, fetching the
 * canonical blocks by number. Produces a plan; applying it (publishing
 * retractions and blocks, updating the store) is the caller's job.
 */
import type { BlockRef } from './block-ref.ts';
import { ChainMovedError, ReorgTooDeepError } from './errors.ts';
import type { RecentBlockStore } from './recent-block-store.ts';

export type ReorgCheck<T extends BlockRef> =
  /** Extends the stored tip (or the store knows nothing before it): publish it. */
  | { type: 'extends'; block: T }
  /** The same hash is already stored at this height: nothing to do. */
  | { type: 'known'; block: T }
  /** A fork: retract `orphaned` (newest first), then publish `canonical` (ascending, ends with the new block). */
  | { type: 'reorg'; commonAncestor: BlockRef; orphaned: BlockRef[]; canonical: T[] };

export interface DetectReorgParameters<T extends BlockRef> {
  chain: string;
  store: RecentBlockStore;
  /** The newly fetched block. */
  block: T;
  /** Fetches the current canonical block at a height (header, or a whole bundle when T carries one). */
  getCanonicalBlock: (number: number) => Promise<T>;
}

/**
 * @throws ReorgTooDeepError when the fork point is below the oldest stored block
 * @throws ChainMovedError (retryable) when the canonical chain changes during the walk
 * @example
 * const check = await detectReorg({ chain: 'mainnet', store, block, getCanonicalBlock });
 * if (check.type === 'reorg') publish(retractionsFor(check, ...), check.canonical);
 */
export async function detectReorg<T extends BlockRef>(params: DetectReorgParameters<T>): Promise<ReorgCheck<T>> {
  const { store, block, chain } = params;
  const stored = store.get(block.number);
  if (stored?.hash === block.hash) return { type: 'known', block };

  const tip = store.latest();
  const parent = store.get(block.number - 1);
  // Nothing stored at or above the parent's height that could conflict: a plain extension
  // (first block after an empty store, or the next block on top of the tip).
  if (parent === undefined && (tip === undefined || tip.number < block.number - 1)) return { type: 'extends', block };
  if (parent !== undefined && parent.hash === block.parentHash && (tip === undefined || tip.number < block.number)) {
    return { type: 'extends', block };
  }

  // Walk back from the new block until its ancestry meets a stored hash.
  const oldest = store.oldest() ?? block.number;
  const canonical: T[] = [block];
  let child: T = block;
  for (let n = block.number - 1; n >= oldest; n -= 1) {
    const mine = store.get(n);
    if (mine !== undefined && mine.hash === child.parentHash) {
      const orphaned: BlockRef[] = [];
      for (let k = tip?.number ?? n; k > n; k -= 1) {
        const ref = store.get(k);
        if (ref !== undefined) orphaned.push(ref);
      }
      if (orphaned.length === 0) return { type: 'extends', block };
      return { type: 'reorg', commonAncestor: mine, orphaned, canonical };
    }
    const fetched = await params.getCanonicalBlock(n);
    if (fetched.number !== n || fetched.hash !== child.parentHash) throw new ChainMovedError(chain, n);
    canonical.unshift(fetched);
    child = fetched;
  }
  throw new ReorgTooDeepError(chain, block.number, oldest);
}

/** Updates the store after the plan's records were published: orphans out, canonical blocks in. */
export function applyReorgCheck<T extends BlockRef>(store: RecentBlockStore, check: ReorgCheck<T>): void {
  if (check.type === 'known') return;
  if (check.type === 'reorg') {
    store.deleteFrom(check.commonAncestor.number + 1);
    for (const b of check.canonical) store.put({ number: b.number, hash: b.hash, parentHash: b.parentHash });
    return;
  }
  store.put({ number: check.block.number, hash: check.block.hash, parentHash: check.block.parentHash });
}
