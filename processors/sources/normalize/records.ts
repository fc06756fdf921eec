/**
 * Oracul's raw chain records: what the block source publishes for every canonical
 * block, identical whichever RPC strategy fetched them. Plain data, no methods.
 *
 * Conventions (docs/ingestion.md, "Records"):
 * - hex strings are lowercase and 0x-prefixed (`Hex`); hashes are 32 bytes, addresses 20;
 * - amounts and other uint256-range quantities are `bigint` (decimal strings in Avro/JSON,
 *   UInt256 in ClickHouse); counts and indexes that cannot pass 2^53 are `number`;
 * - time is the block timestamp as milliseconds since the Unix epoch, UTC
 *   (`new Date(ms).toISOString()` at the edges);
 * - `null` means "this block/transaction type has no such field" (e.g. baseFeePerGas before London).
 * camelCase here maps 1:1 to snake_case column and Avro field names (parentHash → parent_hash).
 */

/** Lowercase 0x-prefixed hex string. */
export type Hex = `0x${string}`;

/** A block header with the counts of what it contains. Keyed by (chainId, hash). */
export interface BlockRecord {
  chainId: number;
  number: number;
  hash: Hex;
  parentHash: Hex;
  /** Block timestamp × 1000. */
  timestampMs: number;
  miner: Hex;
  gasLimit: bigint;
  gasUsed: bigint;
  /** EIP-1559 (London, block 12 965 000 on mainnet) onwards. */
  baseFeePerGas: bigint | null;
  difficulty: bigint;
  /** Dropped by post-merge clients; null when the endpoint omits it. */
  totalDifficulty: bigint | null;
  /** RLP size in bytes, when the endpoint reports it. */
  size: number | null;
  /** 8-byte proof-of-work nonce (zero after the merge). */
  nonce: Hex | null;
  extraData: Hex;
  logsBloom: Hex;
  stateRoot: Hex;
  transactionsRoot: Hex;
  receiptsRoot: Hex;
  sha3Uncles: Hex;
  mixHash: Hex | null;
  /** Shanghai onwards. */
  withdrawalsRoot: Hex | null;
  withdrawalCount: number | null;
  /** Cancun (EIP-4844) onwards. */
  blobGasUsed: bigint | null;
  excessBlobGas: bigint | null;
  parentBeaconBlockRoot: Hex | null;
  /** Prague (EIP-7685) onwards. */
  requestsHash: Hex | null;
  transactionCount: number;
  logCount: number;
}

/** A transaction as included in a block. Keyed by (chainId, hash); ordered by (blockNumber, transactionIndex). */
export interface TransactionRecord {
  chainId: number;
  blockNumber: number;
  blockHash: Hex;
  blockTimestampMs: number;
  transactionIndex: number;
  hash: Hex;
  /** 0 legacy, 1 access list, 2 EIP-1559, 3 blob, 4 set-code (EIP-7702). */
  type: number;
  from: Hex;
  /** null for contract creation. */
  to: Hex | null;
  value: bigint;
  nonce: bigint;
  gas: bigint;
  /** Legacy/type-1 price, or the effective price some endpoints report for type-2. */
  gasPrice: bigint | null;
  maxFeePerGas: bigint | null;
  maxPriorityFeePerGas: bigint | null;
  maxFeePerBlobGas: bigint | null;
  input: Hex;
  /**
   * Receipt fields: set when the strategy read receipts (eth_getBlockReceipts or
   * eth_getTransactionReceipt), null when it read logs only (eth_getLogs).
   * `status` is also null before Byzantium (receipts carried a state root then).
   */
  receipt: TransactionReceiptFields | null;
}

/** What a transaction receipt adds to its transaction (logs aside). */
export interface TransactionReceiptFields {
  /** 1 success, 0 reverted; null before Byzantium (block 4 370 000 on mainnet). */
  status: number | null;
  gasUsed: bigint;
  cumulativeGasUsed: bigint;
  /** Absent from some pre-London receipts: then null. */
  effectiveGasPrice: bigint | null;
  /** Address of the contract the transaction created, else null. */
  contractAddress: Hex | null;
}

/** An event log of a transaction receipt. Keyed by (chainId, blockHash, logIndex). */
export interface LogRecord {
  chainId: number;
  blockNumber: number;
  blockHash: Hex;
  blockTimestampMs: number;
  transactionHash: Hex;
  transactionIndex: number;
  /** Position in the block (not in the transaction). */
  logIndex: number;
  address: Hex;
  /** 0 to 4 topics of 32 bytes; topics[0] is the event signature for non-anonymous events. */
  topics: Hex[];
  data: Hex;
}

/** Everything one block contributes: the unit the source publishes and a retraction undoes. */
export interface BlockBundle {
  block: BlockRecord;
  /** In transactionIndex order. */
  transactions: TransactionRecord[];
  /** In logIndex order. */
  logs: LogRecord[];
}
