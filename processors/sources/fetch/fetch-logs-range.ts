/**
 * eth_getLogs over a block range, halving the range whenever the provider answers
 * with a result limit ("query returned more than 10000 results", "block range too
 * large", body too large). The range size that worked is remembered for the next
 * calls and grows back slowly.
 */
import { InvalidRpcDataError } from '../normalize/errors.ts';
import { toQuantity } from '../normalize/hex.ts';
import { RpcResultLimitError } from '../rpc/errors.ts';
import type { RpcClient } from '../rpc/rpc-client.ts';

export interface LogsRangeState {
  /** Blocks per eth_getLogs call; shrinks on limit errors, grows back by one per full-size success. */
  rangeSize: number;
  readonly maxRangeSize: number;
  /** How many times a range was halved. */
  splits: number;
}

export interface FetchLogsRangeReturnType {
  /** Raw log entries of every block in range except `overLimit`, in endpoint order. */
  entries: unknown[];
  /** Blocks whose logs alone exceed the provider's limit: only receipts can serve them. */
  overLimit: number[];
}

export async function fetchLogsRange(
  rpc: RpcClient,
  from: number,
  to: number,
  state: LogsRangeState,
  signal?: AbortSignal,
): Promise<FetchLogsRangeReturnType> {
  const out: FetchLogsRangeReturnType = { entries: [], overLimit: [] };
  let start = from;
  while (start <= to) {
    const end = Math.min(to, start + state.rangeSize - 1);
    await fetchSplitting(rpc, start, end, state, out, signal);
    start = end + 1;
  }
  return out;
}

async function fetchSplitting(
  rpc: RpcClient,
  from: number,
  to: number,
  state: LogsRangeState,
  out: FetchLogsRangeReturnType,
  signal?: AbortSignal,
): Promise<void> {
  let result: unknown;
  try {
    result = await rpc.request(
      'eth_getLogs',
      [{ fromBlock: toQuantity(from), toBlock: toQuantity(to) }],
      signal ? { signal } : {},
    );
  } catch (error) {
    if (!(error instanceof RpcResultLimitError)) throw error;
    if (from === to) {
      out.overLimit.push(from);
      return;
    }
    state.splits += 1;
    const mid = from + Math.floor((to - from) / 2);
    state.rangeSize = Math.max(1, Math.min(state.rangeSize, mid - from + 1));
    await fetchSplitting(rpc, from, mid, state, out, signal);
    await fetchSplitting(rpc, mid + 1, to, state, out, signal);
    return;
  }
  if (!Array.isArray(result)) throw new InvalidRpcDataError(`eth_getLogs ${from}..${to}`, 'result', result);
  if (to - from + 1 >= state.rangeSize && state.rangeSize < state.maxRangeSize) state.rangeSize += 1;
  for (const entry of result) out.entries.push(entry);
}
