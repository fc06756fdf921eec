/**
 * What the replay server serves: blocks (full transactions) and, where known, the
 * receipts of every transaction of a block. Implemented by the recorded mainnet
 * data committed under ./fixtures (./recorded-chain.ts) and by synthetic mainnet-shaped
 * blocks (./synthetic-chain.ts).
 */

/** A JSON-RPC result object exactly as a node returns it. */
export type RpcJson = Record<string, unknown>;

export interface ChainData {
  /** Highest block number whose receipts are known (what eth_blockNumber answers). */
  head(): number;
  /** Every block number that can be served, ascending. */
  blockNumbers(): number[];
  /** eth_getBlockByNumber(n, true) result, or undefined if unknown. */
  blockByNumber(number: number): RpcJson | undefined;
  blockByHash(hash: string): RpcJson | undefined;
  /** eth_getBlockReceipts result in transaction order, or undefined when the block's receipts were not recorded. */
  receiptsOf(number: number): RpcJson[] | undefined;
  /** eth_getTransactionReceipt result. */
  receipt(txHash: string): RpcJson | undefined;
}

export function hexToNumber(hex: unknown): number {
  if (typeof hex !== 'string' || !/^0x[0-9a-fA-F]+$/.test(hex)) throw new TypeError(`not a hex quantity: ${String(hex)}`);
  return Number.parseInt(hex, 16);
}
