/**
 * Fetches blocks with their transactions and the receipts' logs, with the cheapest
 * strategy the chain's endpoints support (see ./log-strategy.ts), and checks that
 * the separately fetched parts belong together before returning them.
 */
import type { Logger } from '../../../core/logger.ts';
import { ChainDataMismatchError } from '../normalize/mismatch-error.ts';
import { toQuantity } from '../normalize/hex.ts';
import { normalizeBlock, type NormalizedBlock } from '../normalize/normalize-block.ts';
import { normalizeLogs, normalizeReceipts, type NormalizedReceipts } from '../normalize/normalize-logs.ts';
import { toBlockBundle } from '../normalize/block-bundle.ts';
import type { BlockBundle } from '../normalize/records.ts';
import { RpcMethodUnsupportedError, RpcNoEndpointError } from '../rpc/errors.ts';
import type { RpcClient } from '../rpc/rpc-client.ts';
import { BlockNotFoundError } from './errors.ts';
import { fetchLogsRange, type LogsRangeState } from './fetch-logs-range.ts';
import { LOG_STRATEGIES, STRATEGY_METHOD, type LogStrategy } from './log-strategy.ts';
import { refetching } from './refetch.ts';

export interface CreateBlockFetcherParameters {
  rpc: RpcClient;
  /** Chain id the endpoints were verified to serve (capability detection). */
  chainId: number;
  /** From capability detection; downgraded at run time if the endpoints stop serving it. */
  strategy: LogStrategy;
  /** Largest eth_getLogs range in blocks. Default 50 (≈ 20 000 logs on mainnet, under common 10k-per-call caps after one split). */
  maxLogsRange?: number;
  /** Re-fetches of a range whose parts disagree (reorg between calls, lagging node). Default 5. */
  mismatchRetries?: number;
  logger?: Logger;
}

export interface FetchOptions {
  signal?: AbortSignal;
}

export interface BlockFetcher {
  /** Current strategy (may have been downgraded since creation). */
  readonly strategy: LogStrategy;
  readonly logsRange: Readonly<LogsRangeState>;
  /**
   * Blocks `numbers` (any order, no duplicates) with their transactions and logs, in ascending block order.
   * @throws BlockNotFoundError, ChainDataMismatchError (after retries), RpcErrorType, InvalidRpcDataError
   */
  fetchBundles(numbers: readonly number[], options?: FetchOptions): Promise<BlockBundle[]>;
  /** Same as fetchBundles for every block in [from, to]. */
  fetchRange(from: number, to: number, options?: FetchOptions): Promise<BlockBundle[]>;
  /** Blocks with transactions only: no receipt or log calls (header checks, reorg walks). */
  fetchBlocks(numbers: readonly number[], options?: FetchOptions): Promise<NormalizedBlock[]>;
}

export function createBlockFetcher(params: CreateBlockFetcherParameters): BlockFetcher {
  const { rpc, logger } = params;
  let strategy = params.strategy;
  const maxRange = Math.max(1, params.maxLogsRange ?? 50);
  const ctx: FetchContext = {
    rpc,
    chainId: params.chainId,
    logger,
    logsRange: { rangeSize: maxRange, maxRangeSize: maxRange, splits: 0 },
  };

  async function fetchBundles(numbers: readonly number[], options: FetchOptions = {}): Promise<BlockBundle[]> {
    if (numbers.length === 0) return [];
    const attempt = async (): Promise<BlockBundle[]> => {
      const used = strategy;
      try {
        return await fetchOnce(ctx, strategy, numbers, options);
      } catch (error) {
        // A concurrent fetch may have downgraded the strategy while this one was in flight.
        const unsupported = error instanceof RpcMethodUnsupportedError || error instanceof RpcNoEndpointError;
        if (unsupported && (strategy !== used || downgrade(error))) return fetchBundles(numbers, options);
        throw error;
      }
    };
    const { signal } = options;
    return refetching(attempt, {
      retries: params.mismatchRetries,
      signal,
      logger,
      msg: 'refetching blocks',
      fields: { chain: rpc.chain },
    });
  }

  /** Moves to the next cheapest strategy whose method some endpoint still serves. */
  function downgrade(error: Error): boolean {
    const from = strategy;
    const next = LOG_STRATEGIES.slice(LOG_STRATEGIES.indexOf(from) + 1).find((s) => rpc.supports(STRATEGY_METHOD[s]));
    // Only when the failing method is the strategy's own and no endpoint serves it any more.
    if (next === undefined || rpc.supports(STRATEGY_METHOD[from])) return false;
    strategy = next;
    logger?.warn({ msg: 'log strategy downgraded', chain: rpc.chain, from, to: next, reason: error.message });
    return true;
  }

  return {
    get strategy() {
      return strategy;
    },
    logsRange: ctx.logsRange,
    fetchBundles,
    fetchBlocks: (numbers, options = {}) => fetchBlocks(ctx, numbers, options),
    fetchRange(from, to, options) {
      const numbers: number[] = [];
      for (let n = from; n <= to; n += 1) numbers.push(n);
      return fetchBundles(numbers, options);
    },
  };
}

/** What every fetch of one fetcher needs. */
interface FetchContext {
  readonly rpc: RpcClient;
  readonly chainId: number;
  readonly logger: Logger | undefined;
  /** eth_getLogs range size, adapted across calls. */
  readonly logsRange: LogsRangeState;
}

/** One attempt: the blocks, then their logs (and receipts) by `strategy`, checked to belong together. */
async function fetchOnce(
  ctx: FetchContext,
  strategy: LogStrategy,
  numbers: readonly number[],
  options: FetchOptions,
): Promise<BlockBundle[]> {
  const sorted = [...numbers].sort((a, b) => a - b);
  let blocks: NormalizedBlock[];
  let parts: NormalizedReceipts[];
  if (strategy === 'block-receipts') {
    // Receipts by number need no block data first: both halves go out together.
    const [b, receipts] = await Promise.all([
      fetchBlocks(ctx, sorted, options),
      ctx.rpc.batch(blockReceiptCalls(sorted), options),
    ]);
    blocks = b;
    parts = receiptsOfBlocks(blocks, receipts);
  } else {
    blocks = await fetchBlocks(ctx, sorted, options);
    parts = strategy === 'logs' ? await byLogRanges(ctx, blocks, options) : await byReceipts(ctx, blocks, false, options);
  }
  return blocks.map((block, i) => toBlockBundle(block, parts[i]!));
}

async function fetchBlocks(ctx: FetchContext, numbers: readonly number[], options: FetchOptions): Promise<NormalizedBlock[]> {
  const sorted = [...numbers].sort((a, b) => a - b);
  const results = await ctx.rpc.batch(
    sorted.map((n) => ({ method: 'eth_getBlockByNumber', params: [toQuantity(n), true] })),
    options,
  );
  return results.map((json, i) => {
    if (json === null || json === undefined) throw new BlockNotFoundError(sorted[i]!, ctx.rpc.chain);
    const normalized = normalizeBlock(json, ctx.chainId);
    if (normalized.block.number !== sorted[i]) throw new ChainDataMismatchError(normalized.block, `asked for block ${sorted[i]}`);
    return normalized;
  });
}

const blockReceiptCalls = (numbers: readonly number[]) =>
  numbers.map((n) => ({ method: 'eth_getBlockReceipts', params: [toQuantity(n)] }));

/** eth_getBlockReceipts answers (one list per block, in block order) as each block's receipts. */
function receiptsOfBlocks(blocks: readonly NormalizedBlock[], lists: readonly unknown[]): NormalizedReceipts[] {
  return blocks.map(({ block, transactions }, i) => {
    const list = lists[i];
    if (!Array.isArray(list)) throw new ChainDataMismatchError(block, 'eth_getBlockReceipts answered no list');
    return normalizeReceipts(list, block, transactions);
  });
}

/** Receipts (logs and receipt fields) of these blocks, by one call per block or per transaction. */
async function byReceipts(
  ctx: FetchContext,
  blocks: readonly NormalizedBlock[],
  perBlock: boolean,
  options: FetchOptions,
): Promise<NormalizedReceipts[]> {
  if (perBlock) {
    const lists = await ctx.rpc.batch(blockReceiptCalls(blocks.map(({ block }) => block.number)), options);
    return receiptsOfBlocks(blocks, lists);
  }
  const calls = blocks.flatMap(({ transactions }) =>
    transactions.map((tx) => ({ method: 'eth_getTransactionReceipt', params: [tx.hash] })),
  );
  const receipts = await ctx.rpc.batch(calls, options);
  let offset = 0;
  return blocks.map(({ block, transactions }) => {
    const mine = receipts.slice(offset, offset + transactions.length);
    offset += transactions.length;
    return normalizeReceipts(mine, block, transactions);
  });
}

/** eth_getLogs over runs of consecutive blocks; a block over the per-call limit falls back to receipts. */
async function byLogRanges(
  ctx: FetchContext,
  blocks: readonly NormalizedBlock[],
  options: FetchOptions,
): Promise<NormalizedReceipts[]> {
  const { rpc } = ctx;
  const runs: [number, number][] = [];
  for (const { block } of blocks) {
    const run = runs.at(-1);
    if (run && run[1] + 1 === block.number) run[1] = block.number;
    else runs.push([block.number, block.number]);
  }
  const entriesByNumber = new Map<number, unknown[]>();
  const overLimit = new Set<number>();
  await Promise.all(
    runs.map(async ([from, to]) => {
      const { entries, overLimit: over } = await fetchLogsRange(rpc, from, to, ctx.logsRange, options.signal);
      for (const n of over) overLimit.add(n);
      for (const entry of entries) {
        const n = blockNumberOf(entry);
        let list = entriesByNumber.get(n);
        if (!list) entriesByNumber.set(n, (list = []));
        list.push(entry);
      }
    }),
  );
  const fromReceipts = new Map<number, NormalizedReceipts>();
  if (overLimit.size > 0) {
    ctx.logger?.warn({ msg: 'block over the eth_getLogs limit, using receipts', chain: rpc.chain, blocks: [...overLimit] });
    const heavy = blocks.filter(({ block }) => overLimit.has(block.number));
    const receipts = await byReceipts(ctx, heavy, rpc.supports('eth_getBlockReceipts'), options);
    heavy.forEach(({ block }, i) => fromReceipts.set(block.number, receipts[i]!));
  }
  // Logs only: receipt fields stay null (even for the blocks served from receipts, so records do not depend on a provider cap).
  return blocks.map(({ block, transactions }) => ({
    logs: fromReceipts.get(block.number)?.logs ?? normalizeLogs(entriesByNumber.get(block.number) ?? [], block, transactions),
    receipts: [],
  }));
}

function blockNumberOf(entry: unknown): number {
  const n = typeof entry === 'object' && entry !== null ? (entry as { blockNumber?: unknown }).blockNumber : undefined;
  return typeof n === 'string' ? Number.parseInt(n, 16) : -1;
}
