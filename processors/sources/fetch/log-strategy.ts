/**
 * How the receipts' logs of a block are fetched, cheapest first:
 * - `block-receipts`: one eth_getBlockReceipts per block (batched);
 * - `logs`: one eth_getLogs per range of consecutive blocks, halved on "too many results";
 * - `transaction-receipts`: one eth_getTransactionReceipt per transaction (batched).
 */
export type LogStrategy = 'block-receipts' | 'logs' | 'transaction-receipts';

export const LOG_STRATEGIES: readonly LogStrategy[] = ['block-receipts', 'logs', 'transaction-receipts'];

/** The JSON-RPC method each strategy depends on. */
export const STRATEGY_METHOD: Readonly<Record<LogStrategy, string>> = {
  'block-receipts': 'eth_getBlockReceipts',
  logs: 'eth_getLogs',
  'transaction-receipts': 'eth_getTransactionReceipt',
};
