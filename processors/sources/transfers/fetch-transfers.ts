/**
 * Fetches a block range for the transfers-only backfill: one eth_getLogs {fromBlock, toBlock, topics: [Transfer]}
 * (split on provider limits, sized by a RangeSizer) and the range's headers (eth_getBlockByNumber(n, false) in
 * JSON-RPC batches), sent together, then checked against each other. A range whose parts disagree (a reorg
 * between the calls, a lagging node behind a load balancer) is fetched again, as the block fetcher does.
 */
import pRetry from 'p-retry';
import type { Logger } from '../../../core/logger.ts';
import { BlockNotFoundError } from '../fetch/errors.ts';
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
  const { rpc, chainId, sizer, logger } = params;

  async function headers(from: number, to: number, signal?: AbortSignal): Promise<TransfersHeader[]> {
    const calls = [];
    for (let n = from; n <= to; n += 1) calls.push({ method: 'eth_getBlockByNumber', params: [toQuantity(n), false] });
    const results = await rpc.batch(calls, signal ? { signal } : {});
    return results.map((json, i) => {
      if (json === null || json === undefined) throw new BlockNotFoundError(from + i, rpc.chain);
      return normalizeHeader(json, chainId, from + i);
    });
  }

  /** eth_getLogs over [from, to], halving on limit errors; blocks that alone exceed the limit go to `overLimit`. */
  async function logs(
    from: number,
    to: number,
    out: { entries: unknown[]; overLimit: number[] },
    signal?: AbortSignal,
  ): Promise<void> {
    let result: unknown;
    try {
      result = await rpc.request(
        'eth_getLogs',
        [{ fromBlock: toQuantity(from), toBlock: toQuantity(to), topics: [TRANSFER_TOPIC0] }],
        signal ? { signal } : {},
      );
    } catch (error) {
      if (!(error instanceof RpcResultLimitError)) throw error;
      sizer.limited(to - from + 1);
      if (from === to) {
        out.overLimit.push(from);
        return;
      }
      const mid = from + Math.floor((to - from) / 2);
      await logs(from, mid, out, signal);
      await logs(mid + 1, to, out, signal);
      return;
    }
    if (!Array.isArray(result)) throw new InvalidRpcDataError(`eth_getLogs ${from}..${to}`, 'result', result);
    sizer.observe(to - from + 1, result.length);
    for (const entry of result) out.entries.push(entry);
  }

  /** Receipts' logs of blocks whose Transfer logs alone exceed the provider's eth_getLogs limit. */
  async function receiptLogs(heavy: readonly TransfersHeader[], signal?: AbortSignal): Promise<unknown[][]> {
    logger?.warn({
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

  async function fetchOnce(from: number, to: number, signal?: AbortSignal): Promise<TransferBlock[]> {
    const found = { entries: [] as unknown[], overLimit: [] as number[] };
    const [hs] = await Promise.all([headers(from, to, signal), logs(from, to, found, signal)]);
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
      (await receiptLogs(heavy, signal)).forEach((list, i) => fromReceipts.set(heavy[i]!.block.number, list));
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

  return {
    sizer,
    fetchRange(from, to, options = {}) {
      if (to < from) return Promise.resolve([]);
      return pRetry(() => fetchOnce(from, to, options.signal), {
        retries: params.mismatchRetries ?? 5,
        minTimeout: 100,
        maxTimeout: 5_000,
        randomize: true,
        ...(options.signal ? { signal: options.signal } : {}),
        // Only inconsistencies between the parts: RPC errors were already retried inside the client.
        shouldRetry: (error) => error instanceof ChainDataMismatchError || error instanceof BlockNotFoundError,
        onFailedAttempt: (error) => {
          if (!(error instanceof ChainDataMismatchError || error instanceof BlockNotFoundError)) return;
          logger?.warn({
            msg: 'refetching transfer range',
            chain: rpc.chain,
            from_block: from,
            to_block: to,
            code: error.code,
            err_message: error.message,
            attempt: error.attemptNumber,
          });
        },
      });
    },
  };
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
