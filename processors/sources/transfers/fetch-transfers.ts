/**
 * Fetches a block range for the transfers-only backfill: one eth_getLogs {fromBlock, toBlock, topics: [Transfer]}
 * (split on provider limits, sized by a RangeSizer) and the range's headers (eth_getBlockByNumber(n, false) in
 * JSON-RPC batches), sent together, then checked against each other. A range whose parts disagree (a reorg
 * between the calls, a lagging node behind a load balancer) is fetched again, as the block fetcher does.
 */
import type { Logger } from '../../../core/logger.ts';
import { BlockNotFoundError } from '../fetch/errors.ts';
import { refetching } from '../fetch/refetch.ts';
import { InvalidRpcDataError } from '../normalize/errors.ts';
import { toQuantity } from '../normalize/hex.ts';
import { ChainDataMismatchError } from '../normalize/mismatch-error.ts';
import { RpcResultLimitError } from '../rpc/errors.ts';
import type { RpcClient } from '../rpc/rpc-client.ts';
import {
  logBlockNumber,
  normalizeHeader,
  normalizeTransferLogs,
  TRANSFER_TOPIC0,
  type TransferBlock,
  type TransfersHeader,
} from './normalize-transfers.ts';
import type { RangeSizer } from './range-sizer.ts';

export interface CreateTransfersFetcherParameters {
  rpc: RpcClient;
  chainId: number;
  sizer: RangeSizer;
  /** Re-fetches of a range whose parts disagree. Default 5. */
  mismatchRetries?: number;
  logger?: Logger;
}

export interface TransfersFetcher {
  readonly sizer: RangeSizer;
  /**
   * Every block in [from, to] (ascending) with its Transfer logs; consecutive headers are checked to link.
   * @throws BlockNotFoundError, ChainDataMismatchError (after retries), InvalidRpcDataError, RPC errors
   */
  fetchRange(from: number, to: number, options?: { signal?: AbortSignal }): Promise<TransferBlock[]>;
}

export function createTransfersFetcher(params: CreateTransfersFetcherParameters): TransfersFetcher {
  const { rpc, sizer, logger } = params;
  const ctx: TransfersFetchContext = { rpc, chainId: params.chainId, sizer, logger };
  return {
    sizer,
    fetchRange(from, to, options = {}) {
      if (to < from) return Promise.resolve([]);
      return refetching(() => fetchOnce(ctx, from, to, options.signal), {
        retries: params.mismatchRetries,
        signal: options.signal,
        logger,
        msg: 'refetching transfer range',
        fields: { chain: rpc.chain, from_block: from, to_block: to },
      });
    },
  };
}

/** What every fetch of one transfers fetcher needs. */
interface TransfersFetchContext {
  readonly rpc: RpcClient;
  readonly chainId: number;
  readonly sizer: RangeSizer;
  readonly logger: Logger | undefined;
}

/** One attempt: headers and Transfer logs together, blocks over the log limit from receipts, then checked to link. */
async function fetchOnce(ctx: TransfersFetchContext, from: number, to: number, signal?: AbortSignal): Promise<TransferBlock[]> {
  const found = { entries: [] as unknown[], overLimit: [] as number[] };
  const [hs] = await Promise.all([headers(ctx, from, to, signal), logs(ctx, from, to, found, signal)]);
  const byNumber = new Map<number, unknown[]>();
  for (const entry of found.entries) {
    const n = logBlockNumber(entry, `eth_getLogs ${from}..${to} entry`);
    if (n < from || n > to)
      throw new ChainDataMismatchError(hs[0]!.block, `eth_getLogs ${from}..${to} returned a log of block ${n}`);
    let list = byNumber.get(n);
    if (!list) byNumber.set(n, (list = []));
    list.push(entry);
  }
  const fromReceipts = new Map<number, unknown[]>();
  if (found.overLimit.length > 0) {
    const heavy = hs.filter((h) => found.overLimit.includes(h.block.number));
    (await receiptLogs(ctx, heavy, signal)).forEach((list, i) => fromReceipts.set(heavy[i]!.block.number, list));
  }
  const blocks: TransferBlock[] = hs.map((h) => {
    const viaReceipts = fromReceipts.get(h.block.number);
    return {
      block: h.block,
      logs:
        viaReceipts === undefined
          ? normalizeTransferLogs(h, byNumber.get(h.block.number) ?? [])
          : normalizeTransferLogs(h, viaReceipts, true),
    };
  });
  for (let i = 1; i < blocks.length; i += 1) {
    const parent = blocks[i - 1]!.block;
    const child = blocks[i]!.block;
    if (child.parentHash !== parent.hash)
      throw new ChainDataMismatchError(child, `parent hash ${child.parentHash} is not block ${parent.number}'s ${parent.hash}`);
  }
  return blocks;
}

async function headers(ctx: TransfersFetchContext, from: number, to: number, signal?: AbortSignal): Promise<TransfersHeader[]> {
  const calls = [];
  for (let n = from; n <= to; n += 1) calls.push({ method: 'eth_getBlockByNumber', params: [toQuantity(n), false] });
  const results = await ctx.rpc.batch(calls, signal ? { signal } : {});
  return results.map((json, i) => {
    if (json === null || json === undefined) throw new BlockNotFoundError(from + i, ctx.rpc.chain);
    return normalizeHeader(json, ctx.chainId, from + i);
  });
}

/** eth_getLogs over [from, to], halving on limit errors; blocks that alone exceed the limit go to `overLimit`. */
async function logs(
  ctx: TransfersFetchContext,
  from: number,
  to: number,
  out: { entries: unknown[]; overLimit: number[] },
  signal?: AbortSignal,
): Promise<void> {
  let result: unknown;
  try {
    result = await ctx.rpc.request(
      'eth_getLogs',
      [{ fromBlock: toQuantity(from), toBlock: toQuantity(to), topics: [TRANSFER_TOPIC0] }],
      signal ? { signal } : {},
    );
  } catch (error) {
    if (!(error instanceof RpcResultLimitError)) throw error;
    ctx.sizer.limited(to - from + 1);
    if (from === to) {
      out.overLimit.push(from);
      return;
    }
    const mid = from + Math.floor((to - from) / 2);
    await logs(ctx, from, mid, out, signal);
    await logs(ctx, mid + 1, to, out, signal);
    return;
  }
  if (!Array.isArray(result)) throw new InvalidRpcDataError(`eth_getLogs ${from}..${to}`, 'result', result);
  ctx.sizer.observe(to - from + 1, result.length);
  for (const entry of result) out.entries.push(entry);
}

/** Receipts' logs of blocks whose Transfer logs alone exceed the provider's eth_getLogs limit. */
async function receiptLogs(
  ctx: TransfersFetchContext,
  heavy: readonly TransfersHeader[],
  signal?: AbortSignal,
): Promise<unknown[][]> {
  const { rpc } = ctx;
  ctx.logger?.warn({
    msg: 'block over the eth_getLogs limit, using receipts',
    chain: rpc.chain,
    blocks: heavy.map((h) => h.block.number),
  });
  const opts = signal ? { signal } : {};
  if (rpc.supports('eth_getBlockReceipts')) {
    const lists = await rpc.batch(
      heavy.map((h) => ({ method: 'eth_getBlockReceipts', params: [toQuantity(h.block.number)] })),
      opts,
    );
    return lists.map((list, i) => receiptsToLogs(list, heavy[i]!));
  }
  return Promise.all(
    heavy.map(async (h) =>
      receiptsToLogs(
        await rpc.batch(
          h.txHashes.map((tx) => ({ method: 'eth_getTransactionReceipt', params: [tx] })),
          opts,
        ),
        h,
      ),
    ),
  );
}

/** The logs of a block's receipts (in transaction order), each receipt checked to be of that block. */
function receiptsToLogs(list: unknown, header: TransfersHeader): unknown[] {
  if (!Array.isArray(list)) throw new ChainDataMismatchError(header.block, 'receipts answered no list');
  const out: unknown[] = [];
  list.forEach((receipt, i) => {
    if (receipt === null || typeof receipt !== 'object') throw new ChainDataMismatchError(header.block, `receipt ${i} not found`);
    const logs = (receipt as { logs?: unknown }).logs;
    if (!Array.isArray(logs)) throw new InvalidRpcDataError(`block ${header.block.number} receipt ${i}`, 'logs', logs);
    for (const l of logs) out.push(l);
  });
  return out;
}
