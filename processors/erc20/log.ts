import { hexToNumber, type Hex } from 'viem';

/**
 * A raw EVM log as the ingestion layer delivers it: the JSON-RPC log plus the block fields a processor needs.
 * Hex strings are lowercase; quantities are numbers (safe integers). `removed` marks a retraction: the log was
 * emitted earlier and its block left the canonical chain (reorg).
 */
export interface EvmLog {
  readonly chain_id: number;
  readonly block_number: number;
  readonly block_hash: string;
  /** Block timestamp, unix seconds. */
  readonly block_timestamp: number;
  readonly tx_hash: string;
  readonly tx_index: number;
  readonly log_index: number;
  /** The emitting contract. */
  readonly address: string;
  readonly topics: readonly string[];
  readonly data: string;
  readonly removed: boolean;
}

/** The JSON-RPC log object (`eth_getLogs`, receipts). */
export interface RpcLog {
  readonly address: string;
  readonly topics: readonly string[];
  readonly data: string;
  readonly blockNumber: string;
  readonly blockHash: string;
  readonly transactionHash: string;
  readonly transactionIndex: string;
  readonly logIndex: string;
  readonly removed?: boolean;
  /** Some nodes (and the SQD fixtures) include it; otherwise pass it from the block. */
  readonly blockTimestamp?: string;
}

/**
 * Converts an RPC log into an {@link EvmLog}.
 * @example fromRpcLog(receipt.logs[0], { chainId: 1, blockTimestamp: 1466669562 })
 */
export function fromRpcLog(log: RpcLog, options: { chainId: number; blockTimestamp?: number }): EvmLog {
  const blockTimestamp =
    options.blockTimestamp ?? (log.blockTimestamp === undefined ? undefined : hexToNumber(log.blockTimestamp as Hex));
  if (blockTimestamp === undefined) throw new TypeError(`log ${log.transactionHash}:${log.logIndex} has no block timestamp`);
  return {
    chain_id: options.chainId,
    block_number: hexToNumber(log.blockNumber as Hex),
    block_hash: log.blockHash.toLowerCase(),
    block_timestamp: blockTimestamp,
    tx_hash: log.transactionHash.toLowerCase(),
    tx_index: hexToNumber(log.transactionIndex as Hex),
    log_index: hexToNumber(log.logIndex as Hex),
    address: log.address.toLowerCase(),
    topics: log.topics.map((t) => t.toLowerCase()),
    data: log.data.toLowerCase(),
    removed: log.removed === true,
  };
}
