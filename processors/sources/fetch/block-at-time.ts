import { createPublicClient, fallback, http } from 'viem';
import { isoDayStartMs } from '../../../core/time.ts';

/** A block's timestamp in seconds (a real RPC call in production: `eth_getBlockByNumber`). */
export type BlockTimestampOf = (blockNumber: bigint) => Promise<bigint>;

/**
 * The first block whose timestamp is at or after `timestampS`, searching blocks 0..`latest` (block timestamps never
 * decrease along a chain); `null` if even `latest` is earlier. O(log n) calls.
 */
export async function firstBlockAtOrAfter(
  timestampOf: BlockTimestampOf,
  latest: bigint,
  timestampS: bigint,
): Promise<bigint | null> {
  if ((await timestampOf(latest)) < timestampS) return null;
  let low = 0n;
  let high = latest;
  while (low < high) {
    const mid = (low + high) / 2n;
    if ((await timestampOf(mid)) < timestampS) low = mid + 1n;
    else high = mid;
  }
  return low;
}

export interface BlockRange {
  readonly from: number;
  readonly to: number;
}

const DAY_S = 86_400n;

/**
 * The blocks of the UTC days `fromDay`..`toDay` (inclusive, `YYYY-MM-DD`) on a chain, over JSON-RPC: from the first
 * block at or after `fromDay` 00:00 UTC to the last block before the day after `toDay`. `null` when the chain has no
 * block in those days (yet).
 */
export async function blockRangeOfDays(rpcUrls: readonly string[], fromDay: string, toDay: string): Promise<BlockRange | null> {
  const client = createPublicClient({ transport: fallback(rpcUrls.map((url) => http(url, { retryCount: 5, timeout: 30_000 }))) });
  const cache = new Map<bigint, bigint>();
  const timestampOf: BlockTimestampOf = async (n) => {
    let t = cache.get(n);
    if (t === undefined) cache.set(n, (t = (await client.getBlock({ blockNumber: n })).timestamp));
    return t;
  };
  const latest = await client.getBlockNumber();
  const start = BigInt(isoDayStartMs(fromDay) / 1000);
  const end = BigInt(isoDayStartMs(toDay) / 1000) + DAY_S;
  const from = await firstBlockAtOrAfter(timestampOf, latest, start);
  if (from === null) return null;
  const afterEnd = await firstBlockAtOrAfter(timestampOf, latest, end);
  const to = afterEnd === null ? latest : afterEnd - 1n;
  return to < from ? null : { from: Number(from), to: Number(to) };
}
