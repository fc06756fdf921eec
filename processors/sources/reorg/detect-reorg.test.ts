import { describe, expect, it } from 'vitest';
import type { Hex } from '../normalize/records.ts';
import type { BlockRef } from './block-ref.ts';
import { applyReorgCheck, detectReorg, type ReorgCheck } from './detect-reorg.ts';
import { ChainMovedError, ReorgTooDeepError } from './errors.ts';
import { createMemoryBlockStore, type RecentBlockStore } from './recent-block-store.ts';
import { retractionsFor } from './retraction.ts';

/** A fake chain: the canonical blocks by height, each branch with its own hashes. */
class FakeChain {
  readonly blocks = new Map<number, BlockRef>();
  private branch = 0;
  constructor(length: number) {
    for (let n = 0; n < length; n += 1) this.append();
  }
  static hash(branch: number, n: number): Hex {
    return `0x${branch.toString(16).padStart(4, '0')}${n.toString(16).padStart(60, '0')}`;
  }
  get head(): number {
    return this.blocks.size - 1;
  }
  append(): BlockRef {
    const n = this.blocks.size;
    const parent = this.blocks.get(n - 1);
    const ref = { number: n, hash: FakeChain.hash(this.branch, n), parentHash: parent?.hash ?? FakeChain.hash(0, 0xffff) };
    this.blocks.set(n, ref);
    return ref;
  }
  /** Replaces every block above `ancestor` with `length` blocks of a new branch. */
  fork(ancestor: number, length: number): void {
    for (const n of [...this.blocks.keys()]) if (n > ancestor) this.blocks.delete(n);
    this.branch += 1;
    for (let i = 0; i < length; i += 1) this.append();
  }
  get(n: number): BlockRef {
    const ref = this.blocks.get(n);
    if (!ref) throw new Error(`no block ${n}`);
    return ref;
  }
}

/** What a live source does: check, then apply, for each block in order. */
async function ingest(
  chain: FakeChain,
  store: RecentBlockStore,
  n: number,
  fetched: number[] = [],
): Promise<ReorgCheck<BlockRef>> {
  const check = await detectReorg({
    chain: 'fake',
    store,
    block: chain.get(n),
    getCanonicalBlock: async (k) => {
      fetched.push(k);
      return chain.get(k);
    },
  });
  applyReorgCheck(store, check);
  return check;
}

function storeOf(chain: FakeChain, from: number, to: number): RecentBlockStore {
  const store = createMemoryBlockStore();
  for (let n = from; n <= to; n += 1) store.put(chain.get(n));
  return store;
}

describe('detectReorg', () => {
  it('accepts a block extending the stored tip, and an empty store', async () => {
    const chain = new FakeChain(10);
    expect((await ingest(chain, createMemoryBlockStore(), 9)).type).toBe('extends');
    const store = storeOf(chain, 0, 8);
    expect((await ingest(chain, store, 9)).type).toBe('extends');
    expect(store.latest()).toEqual(chain.get(9));
  });

  it('reports a block already stored as known', async () => {
    const chain = new FakeChain(10);
    const store = storeOf(chain, 0, 9);
    expect((await ingest(chain, store, 7)).type).toBe('known');
  });

  it('walks back to the common ancestor and lists orphans newest first, canonical ascending', async () => {
    const chain = new FakeChain(20);
    const store = storeOf(chain, 5, 19);
    const orphans = [19, 18, 17, 16].map((n) => chain.get(n));
    chain.fork(15, 5); // new branch: 16..20
    const fetched: number[] = [];
    const check = await ingest(chain, store, 20, fetched);
    expect(check.type).toBe('reorg');
    if (check.type !== 'reorg') return;
    expect(check.commonAncestor).toEqual(chain.get(15));
    expect(check.orphaned).toEqual(orphans);
    expect(check.canonical.map((b) => b.number)).toEqual([16, 17, 18, 19, 20]);
    expect(check.canonical).toEqual([16, 17, 18, 19, 20].map((n) => chain.get(n)));
    expect(fetched).toEqual([19, 18, 17, 16]); // walked back by number, no further than needed
    // The store now holds the new branch only.
    for (let n = 16; n <= 20; n += 1) expect(store.get(n)).toEqual(chain.get(n));
    expect(store.get(15)).toEqual(chain.get(15));

    const retractions = retractionsFor(check, 1, 1_700_000_000_000);
    expect(retractions.map((r) => [r.blockNumber, r.blockHash, r.replacedByHash])).toEqual(
      orphans.map((o) => [o.number, o.hash, chain.get(o.number).hash]),
    );
    expect(retractions.every((r) => r.commonAncestorHash === chain.get(15).hash && r.chainId === 1)).toBe(true);
  });

  it('retracts stored blocks above a replacement at a lower height (new branch shorter)', async () => {
    const chain = new FakeChain(12);
    const store = storeOf(chain, 0, 11);
    chain.fork(9, 1); // canonical is now 0..10, 10 differs, 11 gone
    const check = await ingest(chain, store, 10);
    expect(check.type).toBe('reorg');
    if (check.type !== 'reorg') return;
    expect(check.orphaned.map((b) => b.number)).toEqual([11, 10]);
    expect(check.canonical.map((b) => b.number)).toEqual([10]);
    const retractions = retractionsFor(check, 1, 0);
    expect(retractions.find((r) => r.blockNumber === 11)?.replacedByHash).toBeNull();
    expect(store.latest()).toEqual(chain.get(10));
  });

  it('handles a one-block reorg at the tip and consecutive reorgs', async () => {
    const chain = new FakeChain(6);
    const store = storeOf(chain, 0, 5);
    chain.fork(4, 2); // 5', 6'
    const first = await ingest(chain, store, 6);
    expect(first.type === 'reorg' && first.orphaned.map((b) => b.number)).toEqual([5]);
    chain.fork(5, 1); // 6''
    const second = await ingest(chain, store, 6);
    expect(second.type === 'reorg' && second.commonAncestor.number).toBe(5);
    expect(second.type === 'reorg' && second.orphaned.map((b) => b.hash)).toEqual([FakeChain.hash(1, 6)]);
  });

  it('throws ReorgTooDeepError when the fork point is below the stored window', async () => {
    const chain = new FakeChain(30);
    const store = storeOf(chain, 20, 29);
    chain.fork(10, 20);
    await expect(ingest(chain, store, 30)).rejects.toBeInstanceOf(ReorgTooDeepError);
  });

  it('throws ChainMovedError (retryable) when the canonical chain changes during the walk', async () => {
    const chain = new FakeChain(10);
    const store = storeOf(chain, 0, 9);
    chain.fork(5, 5);
    const newTip = chain.get(10);
    chain.fork(4, 6); // moves again before the walk fetches blocks
    const error = await detectReorg({ chain: 'fake', store, block: newTip, getCanonicalBlock: async (k) => chain.get(k) }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ChainMovedError);
    expect((error as ChainMovedError).retryable).toBe(true);
  });
});
