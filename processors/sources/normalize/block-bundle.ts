import { normalizeBlock, type NormalizedBlock } from './normalize-block.ts';
import { normalizeReceipts, type NormalizedReceipts } from './normalize-logs.ts';
import type { BlockBundle } from './records.ts';

/**
 * A normalised block joined with its logs and receipts: the block counts its logs, each transaction carries its
 * receipt (when receipts were fetched; the `logs` strategy has none).
 */
export function toBlockBundle({ block, transactions }: NormalizedBlock, { logs, receipts }: NormalizedReceipts): BlockBundle {
  return {
    block: { ...block, logCount: logs.length },
    transactions: receipts.length === 0 ? transactions : transactions.map((tx, k) => ({ ...tx, receipt: receipts[k]! })),
    logs,
  };
}

/** One block's bundle from its JSON-RPC answers (`eth_getBlockByNumber` with transactions, its receipts). */
export function blockBundleOfRpc(blockJson: unknown, receiptsJson: readonly unknown[], chainId: number): BlockBundle {
  const normalized = normalizeBlock(blockJson, chainId);
  return toBlockBundle(normalized, normalizeReceipts(receiptsJson, normalized.block, normalized.transactions));
}
