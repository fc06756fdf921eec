// Generated from schemas/*.avsc by scripts/codegen-schema-types.ts. Do not edit:
// change the .avsc files and run `npx tsx scripts/codegen-schema-types.ts`.
// A unit test (schemas/render-schema-types.test.ts) fails when this file is stale.

/** Unsigned 256-bit integer as a base-10 string: uint256 never travels as a double. */
export type Uint256 = string;
/** Signed 256-bit integer as a base-10 string. */
export type Int256 = string;
/** Exact decimal number as a base-10 string, e.g. "1234.5678". */
export type DecimalString = string;
/** 20-byte address, lowercase 0x-prefixed hex. */
export type Address = `0x${string}`;
/** 32-byte hash, lowercase 0x-prefixed hex. */
export type Hash = `0x${string}`;
/** Bytes as lowercase 0x-prefixed hex. */
export type Hex = `0x${string}`;
/** UTC epoch milliseconds (Avro long with logicalType timestamp-millis). */
export type TimestampMillis = number;
/** Days since 1970-01-01 (Avro int with logicalType date). */
export type EpochDay = number;

/** Daily (UTC, event time) flows of one address in one token (topic address.flows.daily, key '<chain_id>:<address>'). Each transfer counts for both its sender (outflow) and its receiver (inflow). Updates while the window is open, one is_final=true record at close, re-emission with a higher version after a retraction. Latest version wins. */
export interface AddressFlowsDaily {
  /** The UTC day of the window, as days since 1970-01-01. */
  date: EpochDay;
  /** EIP-155 chain id (1 = Ethereum mainnet). */
  chain_id: number;
  /** The address whose flows these are. */
  address: Address;
  /** ERC-20 contract of the flows. */
  token_address: Address;
  /** Token symbol; null when unknown. */
  symbol: string | null;
  /** Sum of amount_raw received. */
  inflow_raw: Uint256;
  /** Sum of amount_raw sent. */
  outflow_raw: Uint256;
  /** inflow_raw - outflow_raw, signed. */
  net_flow_raw: Int256;
  /** USD value received (priced transfers only, 18 fractional digits); null when none was priced. */
  inflow_usd: DecimalString | null;
  /** USD value sent (priced transfers only); null when none was priced. */
  outflow_usd: DecimalString | null;
  /** inflow_usd - outflow_usd (a missing side counts as 0); null when neither side was priced. */
  net_flow_usd: DecimalString | null;
  /** Number of transfers in or out. 0 after every transfer was retracted, which removes the row from FINAL reads. */
  transfer_count: number;
  /** Number of distinct transactions with a transfer in or out. */
  tx_count: number;
  /** Exact number of distinct counterparties (senders to and receivers from this address). */
  counterparties_count: number;
  /** Row version, strictly increasing for each (chain_id, address, token_address, date) across updates, the final record and re-emissions; deterministic under replay. */
  version: number;
  /** false for updates of an open window; true once the window has closed. */
  is_final: boolean;
  /** Stream time when this version was emitted, UTC epoch milliseconds (event-time based). */
  emitted_at: TimestampMillis;
}

/** An anomaly of one metric of one entity on one day (topic anomalies, compacted, key anomaly_id). Scored on every window update, so a day can be flagged before it closes (status open) and re-scored when it closes (status final); every change is a new version of the same anomaly_id, which replaces the previous one. */
export interface Anomaly {
  /** Deterministic id: lowercase hex sha256 of '<chain_id>|<entity_type>|<entity_id>|<token_address or empty>|<metric>|<day as YYYY-MM-DD>|<method>'. */
  anomaly_id: string;
  /** EIP-155 chain id (1 = Ethereum mainnet). */
  chain_id: number;
  /** token: a token_metrics_daily metric; address: an address_flows_daily metric. */
  entity_type: AnomalyEntityType;
  /** The token contract (entity_type=token) or the address (entity_type=address). */
  entity_id: Address;
  /** The token the metric is measured in: equal to entity_id for token anomalies, the token of the flows for address anomalies; null for an address metric summed across tokens in USD. */
  token_address: Address | null;
  /** Scored metric, a column of the source table: 'volume_usd', 'transfer_count', 'unique_addresses', 'net_flow_usd', 'inflow_usd', 'outflow_usd'. */
  metric: string;
  /** The UTC day scored, as days since 1970-01-01. */
  day: EpochDay;
  /** Observed metric value (of the day so far while status=open). Statistics are doubles; exact amounts stay in the marts. */
  value: number;
  /** Baseline location (mean, median or EWMA mean, by method) over the previous final days. */
  baseline_center: number;
  /** Baseline scale (standard deviation, MAD-based sigma, IQR or EWMA deviation, by method). */
  baseline_spread: number;
  /** Number of final days in the baseline. */
  baseline_days: number;
  /** Anomaly score of value against the baseline (e.g. a z-score); its meaning depends on method. */
  score: number;
  /** Lowest normal value; null when the method only bounds from above. */
  lower_bound: number | null;
  /** Highest normal value; null when the method only bounds from below. */
  upper_bound: number | null;
  /** Detector that produced the score: 'zscore', 'robust_zscore', 'iqr', 'ewma', or another documented in docs. */
  method: string;
  /** Severity from the score; for a withdrawn anomaly, the severity it had before. */
  severity: AnomalySeverity;
  /** Lifecycle state of this version. */
  status: AnomalyStatus;
  /** Stream time of the first version of this anomaly, UTC epoch milliseconds; stays the same across versions. */
  detected_at: TimestampMillis;
  /** Stream time of this version, UTC epoch milliseconds. */
  updated_at: TimestampMillis;
  /** Strictly increasing per anomaly_id; the latest version wins in the anomalies table and in alert deduplication. */
  version: number;
  /** Version of the aggregate row that was scored, for tracing. */
  source_version: number;
}

/** Every AnomalyEntityType symbol, in schema order. */
export const ANOMALY_ENTITY_TYPE = ['token', 'address'] as const;
/** What kind of entity was scored. */
export type AnomalyEntityType = (typeof ANOMALY_ENTITY_TYPE)[number];

/** Every AnomalySeverity symbol, in schema order. */
export const ANOMALY_SEVERITY = ['low', 'medium', 'high'] as const;
/** Severity bands; thresholds are in config and docs. */
export type AnomalySeverity = (typeof ANOMALY_SEVERITY)[number];

/** Every AnomalyStatus symbol, in schema order. */
export const ANOMALY_STATUS = ['open', 'final', 'withdrawn'] as const;
/** open: the day is still running. final: the day closed and the anomaly holds. withdrawn: an update (new data, a reorg retraction) brought the value back within bounds; kept so readers and alerts can hide it. */
export type AnomalyStatus = (typeof ANOMALY_STATUS)[number];

/** A record a stage could not decode or process, with why and where it came from (topics <source topic>.dlq, key: the original record's key, unchanged). The original bytes are kept as they were, so the record can be inspected and replayed once fixed. */
export interface DeadLetter {
  /** Topic the record was consumed from. */
  source_topic: string;
  /** Partition the record was consumed from. */
  source_partition: number;
  /** Offset of the record in that partition. */
  source_offset: number;
  /** Kafka timestamp of the original record, UTC epoch milliseconds; null when absent. */
  source_timestamp: TimestampMillis | null;
  /** The original record key bytes; null when the record had no key. */
  original_key: Buffer | null;
  /** The original record value bytes, unchanged; null for a tombstone. */
  original_value: Buffer | null;
  /** The original record's headers, in order. */
  original_headers: DeadLetterHeader[];
  /** Processor or sink that failed, e.g. 'erc20-decoder' or 'sink:raw_logs'. */
  stage: string;
  /** Stable Oracul error code, e.g. 'ORACUL_DESERIALIZE_FAILED' or 'ORACUL_SCHEMA_MISMATCH'. */
  error_code: string;
  /** Error message (no secrets). */
  error_message: string;
  /** The error's structured details as a JSON object; null when none. */
  error_details: string | null;
  /** Whether the failure was classified retryable (then it was dead-lettered after exhausting retries). */
  retryable: boolean;
  /** How many times the stage tried the record. */
  attempts: number;
  /** When the record was dead-lettered, UTC epoch milliseconds. */
  failed_at: TimestampMillis;
}

/** One Kafka header of the original record (keys may repeat, so a list rather than a map). */
export interface DeadLetterHeader {
  /** Header key. */
  key: string;
  /** Header value bytes; null when absent. */
  value: Buffer | null;
}

/** The result of one data-quality check run (topic dq.checks, key '<check_name>:<chain_id>:<subject>'). */
export interface DataQualityCheck {
  /** Check identifier: 'freshness', 'block_gaps', 'duplicate_tx_hash', 'log_index_contiguity', 'block_tx_count', 'transfer_log_coverage', 'price_staleness', ... */
  check_name: string;
  /** EIP-155 chain id the check ran on; 0 when the check is not chain-specific. */
  chain_id: number;
  /** What was checked within the chain, e.g. a token address for price_staleness; empty when the check covers the whole chain. */
  subject: string;
  /** Outcome of the run. */
  status: CheckStatus;
  /** Measured value (e.g. lag in minutes, number of gaps); null when status=error or pending. */
  observed: number | null;
  /** Limit the observed value was compared with; null for checks that must observe 0. */
  threshold: number | null;
  /** What the check looked at: an ISO-8601 interval ('2024-05-01T00:00:00Z/2024-05-01T01:00:00Z') or a block range ('blocks:19000000-19001000'). */
  check_window: string;
  /** When the check ran, UTC epoch milliseconds. */
  checked_at: TimestampMillis;
  /** JSON object with check-specific evidence (e.g. the first missing block numbers, duplicate hashes, the error message). */
  details: string;
}

/** Every CheckStatus symbol, in schema order. */
export const CHECK_STATUS = ['pass', 'fail', 'error', 'pending'] as const;
/** pass: observed within threshold. fail: observed breaches threshold. error: the check could not run (details says why). pending: nothing to judge yet (no block ingested or price polled within the grace period since monitoring started, or the window not reached yet); never alerted. */
export type CheckStatus = (typeof CHECK_STATUS)[number];

/** A log whose first topic is the Transfer(address,address,uint256) signature but which is not a valid ERC-20 transfer, with the reason (topic erc20.rejects, key '<chain_id>:<token_address>', like erc20.transfers). Rejects are counted per reason and kept, never dropped silently. */
export interface TransferReject {
  /** Whether this record adds a rejection or retracts one emitted earlier. */
  kind: RejectKind;
  /** EIP-155 chain id (1 = Ethereum mainnet). */
  chain_id: number;
  /** Block height. */
  block_number: number;
  /** Hash of the block that contains the log. */
  block_hash: Hash;
  /** Block timestamp, UTC epoch milliseconds. */
  block_timestamp: TimestampMillis;
  /** Hash of the transaction that emitted the log. */
  tx_hash: Hash;
  /** Position of that transaction in the block. */
  tx_index: number;
  /** Position of the log in the block. */
  log_index: number;
  /** Fixed-width sortable checkpoint (block_timestamp, chain_id, block_number, tx_index, log_index); format in schemas/checkpoint.ts. */
  checkpoint: string;
  /** Contract that emitted the log. */
  token_address: Address;
  /** Why the log is not an ERC-20 transfer (processors/erc20/reject-reason.ts): 'erc721_four_topics' (ERC-721: from, to and tokenId indexed), 'bad_topic_count' (2 topics, or more than 4), 'bad_data_length' (not 32 bytes for 3 topics, not 96 for 1), 'non_zero_padding_in_address_topic' and 'non_zero_padding_in_address_word' (an address with non-zero upper 12 bytes, e.g. an anonymous-event collision), 'malformed_hex'. A string rather than an enum so a new reason needs no schema change. */
  reason: string;
  /** The log's topics as lowercase 0x-prefixed hex. */
  topics: Hash[];
  /** The log's data as lowercase 0x-prefixed hex. */
  data: Hex;
  /** Version of the raw observation this record derives from (LogBatch.version); a retraction carries the reorg record's higher version. */
  version: number;
}

/** Every RejectKind symbol, in schema order. */
export const REJECT_KIND = ['rejection', 'retraction'] as const;
/** rejection: a rejected log of a canonical block. retraction: the same rejection was orphaned by a reorg. */
export type RejectKind = (typeof REJECT_KIND)[number];

/** Latest known metadata of an ERC-20 contract (topic erc20.tokens, compacted, key '<chain_id>:<address>'): from the seed CSV, else read once over RPC. Sunk into the tokens table. */
export interface TokenMetadata {
  /** EIP-155 chain id (1 = Ethereum mainnet). */
  chain_id: number;
  /** Token contract address. */
  address: Address;
  /** Token symbol; null when the contract has none or it could not be read. */
  symbol: string | null;
  /** Token name; null when unknown. */
  name: string | null;
  /** Token decimals (0-255); null when unknown, in which case amount_decimal and USD values stay null rather than assuming 18. */
  decimals: number | null;
  /** Where the metadata came from. */
  source: TokenMetadataSource;
  /** How symbol() answered, for rpc metadata: 'string', 'bytes32' or 'SYMBOL' (the uppercase getter); null for seed rows. */
  symbol_encoding: string | null;
  /** When the metadata was read, UTC epoch milliseconds. */
  fetched_at: TimestampMillis;
  /** Row version in the tokens table (fetched_at in ms for rpc rows): the newest metadata wins. */
  version: number;
}

/** Every TokenMetadataSource symbol, in schema order. */
export const TOKEN_METADATA_SOURCE = ['seed', 'rpc'] as const;
/** seed: dwh/seeds/erc20_token_metadata.csv. rpc: read from the contract over JSON-RPC. */
export type TokenMetadataSource = (typeof TOKEN_METADATA_SOURCE)[number];

/** The ERC-20 transfers of one decoded block (or block part) that land in one partition of an internal hop, as columns (topics erc20.transfer-batches.by-token, key: the '<chain_id>:<token_address>' of its first row; erc20.transfer-batches.by-address, key: the '<chain_id>:<address>:<token_address>' of its first row's first leg). Row i of every column is one transfer, in the decoder's order (log order within the block); each row rebuilds the erc20.transfers record exactly (checkpoint, amount_decimal, is_mint and is_burn are derived, as the decoder derives them). Internal: users and sinks read erc20.transfers. ADR 0018. */
export interface TransferBatch {
  /** Kind of every row: transfer (a canonical block's transfers) or retraction (all of them undone by a reorg). */
  kind: TransferKind;
  /** EIP-155 chain id (1 = Ethereum mainnet). */
  chain_id: number;
  /** Height of the block of every row. */
  block_number: number;
  /** Hash of the block of every row (of the orphaned block, for a retraction). */
  block_hash: Hash;
  /** Block timestamp of every row, UTC epoch milliseconds; the event time of daily windows. */
  block_timestamp: TimestampMillis;
  /** Fixed-width sortable checkpoint (block_timestamp, chain_id, block_number, 0, 0) of the block; each row's own is rebuilt from its tx_index and log_index (schemas/checkpoint.ts). */
  checkpoint: string;
  /** Version of every row (LogBatch.version of the observation; a retraction carries the reorg record's higher version). */
  version: number;
  /** Per row: hash of the transaction that emitted the event. */
  tx_hash: Hash[];
  /** Per row: position of that transaction in the block. */
  tx_index: number[];
  /** Per row: position of the log in the block. */
  log_index: number[];
  /** Per row: ERC-20 contract that emitted the event. */
  token_address: Address[];
  /** Per row: sender; the zero address for a mint. */
  from_address: Address[];
  /** Per row: receiver; the zero address for a burn. */
  to_address: Address[];
  /** Per row: amount in the token's base units, exact uint256 as a decimal string. */
  amount_raw: Uint256[];
  /** Per row: token decimals; null when unknown. */
  decimals: Array<number | null>;
  /** Per row: token symbol; null when unknown. */
  symbol: Array<string | null>;
  /** Per row: which encoding of the Transfer event the log used. */
  form: TransferForm[];
  /** Per row, on erc20.transfer-batches.by-address only (empty on by-token): the address legs this batch carries for the row. */
  legs: TransferBatchLegs[];
}

/** Every TransferKind symbol, in schema order. */
export const TRANSFER_KIND = ['transfer', 'retraction'] as const;
/** transfer: a transfer of a canonical block. retraction: the same transfer (all fields repeated) was orphaned by a reorg; consumers undo its effect. */
export type TransferKind = (typeof TRANSFER_KIND)[number];

/** Every TransferForm symbol, in schema order. */
export const TRANSFER_FORM = ['standard', 'legacy'] as const;
/** standard: 3 topics (signature, indexed from, indexed to) and 32 bytes of data. legacy: 1 topic and 96 bytes of data (from, to and value not indexed), emitted by some early tokens. */
export type TransferForm = (typeof TRANSFER_FORM)[number];

/** Every TransferBatchLegs symbol, in schema order. */
export const TRANSFER_BATCH_LEGS = ['out', 'in', 'both'] as const;
/** Which address legs of a row belong to this partition. out: the sender's; in: the receiver's; both: the sender's then the receiver's (a self-transfer, or two participants whose keys share the partition). */
export type TransferBatchLegs = (typeof TRANSFER_BATCH_LEGS)[number];

/** A decoded ERC-20 Transfer(address,address,uint256) event, or its retraction after a reorg (topic erc20.transfers, key '<chain_id>:<token_address>'; repartitioned by participant address on erc20.transfers.by-address). Identity: (chain_id, block_hash, log_index). */
export interface Transfer {
  /** Whether this record adds a transfer or retracts one emitted earlier. */
  kind: TransferKind;
  /** EIP-155 chain id (1 = Ethereum mainnet). */
  chain_id: number;
  /** Block height. */
  block_number: number;
  /** Hash of the block that contains the transfer. */
  block_hash: Hash;
  /** Block timestamp, UTC epoch milliseconds; the event time of daily windows. */
  block_timestamp: TimestampMillis;
  /** Hash of the transaction that emitted the event. */
  tx_hash: Hash;
  /** Position of that transaction in the block. */
  tx_index: number;
  /** Position of the log in the block. */
  log_index: number;
  /** Fixed-width sortable checkpoint (block_timestamp, chain_id, block_number, tx_index, log_index): the stream ordering key; format in schemas/checkpoint.ts. */
  checkpoint: string;
  /** ERC-20 contract that emitted the event. */
  token_address: Address;
  /** Sender; the zero address for a mint. */
  from_address: Address;
  /** Receiver; the zero address for a burn. */
  to_address: Address;
  /** Amount in the token's base units, exact uint256 as a decimal string. */
  amount_raw: Uint256;
  /** amount_raw / 10^decimals as an exact decimal string; null when decimals are unknown (never assumed to be 18). */
  amount_decimal: DecimalString | null;
  /** Token decimals used for amount_decimal; null when unknown. */
  decimals: number | null;
  /** Token symbol; null when unknown. */
  symbol: string | null;
  /** from_address is the zero address. */
  is_mint: boolean;
  /** to_address is the zero address. */
  is_burn: boolean;
  /** Which encoding of the Transfer event the log used. */
  form: TransferForm;
  /** Version of the raw observation this record derives from (LogBatch.version): a retraction carries the reorg record's higher version, so it supersedes the transfer in erc20_transfers. */
  version: number;
}

/** A transfer that reached a windowed aggregator after its daily window had closed (past the grace period), so it was not counted (topic erc20.transfers.late, key '<chain_id>:<token_address>'). Late events are counted and kept here, never dropped silently; a backfill or a correction job can replay them. */
export interface LateTransfer {
  /** The late transfer exactly as the aggregator received it. */
  transfer: Transfer;
  /** Name of the processor that rejected it as late, e.g. 'token-metrics-daily' or 'address-flows-daily'. */
  processor: string;
  /** Start of the (closed) daily window the transfer belongs to, UTC epoch milliseconds (00:00 UTC). */
  window_start: TimestampMillis;
  /** End of that window, exclusive, UTC epoch milliseconds. */
  window_end: TimestampMillis;
  /** The partition watermark (max event time - grace) when the transfer arrived, UTC epoch milliseconds. */
  watermark: TimestampMillis;
  /** Wall-clock time the processor classified the transfer as late, UTC epoch milliseconds. */
  detected_at: TimestampMillis;
  /** For address-flows-daily: the address whose leg (inflow or outflow) was late; null for token-metrics-daily, where the whole transfer was. */
  address: Address | null;
}

/** A block-level event of one chain as the block source saw it (topic eth.blocks.raw, key '<chain_id>:<block_number>'). kind=block carries the header of a newly ingested block; kind=reorg retracts a block that left the canonical chain; kind=finalize says every block up to block_number is final. */
export interface BlockRecord {
  /** What this record says about the block. */
  kind: ChainEventKind;
  /** EIP-155 chain id (1 = Ethereum mainnet). */
  chain_id: number;
  /** Block height. */
  block_number: number;
  /** Hash of the block this record is about: the ingested block, the orphaned block (reorg) or the finalized block (finalize). */
  block_hash: Hash;
  /** Block timestamp (header seconds x 1000), UTC epoch milliseconds. A reorg record repeats the orphaned block's timestamp so the retraction reaches the same daily window and the same table partition. */
  block_timestamp: TimestampMillis;
  /** Fixed-width sortable checkpoint (block_timestamp, chain_id, block_number, 0, 0); format in schemas/checkpoint.ts. */
  checkpoint: string;
  /** Observation version, strictly increasing per chain at the source and never reused across restarts. The block, transactions and logs records of one observation share it; a reorg record gets a higher one, so the later observation wins in ReplacingMergeTree tables, and a replay of this record keeps it. */
  version: number;
  /** When the source published this record, UTC epoch milliseconds (wall clock; for lag measurement only, never for ordering). */
  observed_at: TimestampMillis;
  /** The block header when kind=block; null for reorg and finalize records. */
  header: BlockHeader | null;
}

/** Every ChainEventKind symbol, in schema order. */
export const CHAIN_EVENT_KIND = ['block', 'finalize', 'reorg'] as const;
/** block: a block (and its transactions and logs) was ingested. reorg: the block identified by block_hash was orphaned; every layer undoes what it derived from it. finalize: blocks up to block_number are final; finalize records carry no payload and are written to every partition so each task sees them. */
export type ChainEventKind = (typeof CHAIN_EVENT_KIND)[number];

/** Header fields of an ingested block. */
export interface BlockHeader {
  /** Hash of the parent block; the source checks it against the stored hash of block_number - 1 to detect reorgs. */
  parent_hash: Hash;
  /** Fee recipient (coinbase) address. */
  miner: Address;
  /** Block gas limit. */
  gas_limit: number;
  /** Gas used by all transactions of the block. */
  gas_used: number;
  /** EIP-1559 base fee in wei as a decimal string; null before the London fork. */
  base_fee_per_gas: Uint256 | null;
  /** Block size in bytes as reported by the node. */
  size_bytes: number;
  /** Number of transactions in the block, always the header's true count (data-quality checks compare it with the transactions ingested, except for transfers-only blocks, whose transactions are not ingested). */
  transaction_count: number;
  /** Number of logs the source published for the block (all of its logs). null on a kind=block record: the block was ingested transfers-only (oracul backfill --transfers-only), so its logs were not all fetched; eth.logs.raw holds only its ERC-20 Transfer logs (topic0 0xddf252ad...) and eth.transactions.raw nothing for it (ClickHouse: raw_blocks.transfers_only = 1). */
  log_count: number | null;
  /** EIP-4844 blob gas used; null before the Cancun fork. */
  blob_gas_used: number | null;
  /** EIP-4844 excess blob gas; null before the Cancun fork. */
  excess_blob_gas: number | null;
}

/** The logs of one block, or a retraction of all of them (topic eth.logs.raw, key '<chain_id>:<block_number>'). The ERC-20 decoder and the raw_logs sink consume it. */
export interface LogBatch {
  /** block: logs holds the block's logs (or one part of them); reorg: every log of block_hash is retracted and logs is empty; finalize: a finality marker with no logs. */
  kind: ChainEventKind;
  /** EIP-155 chain id (1 = Ethereum mainnet). */
  chain_id: number;
  /** Height of the block the logs belong to. */
  block_number: number;
  /** Hash of the block the logs belong to (or of the orphaned block, for reorg). */
  block_hash: Hash;
  /** Block timestamp (header seconds x 1000), UTC epoch milliseconds; repeated on reorg records. */
  block_timestamp: TimestampMillis;
  /** Fixed-width sortable checkpoint (block_timestamp, chain_id, block_number, 0, 0); format in schemas/checkpoint.ts. */
  checkpoint: string;
  /** Observation version, strictly increasing per chain at the source; equal to the version of the eth.blocks.raw record of the same observation (see BlockRecord.version). */
  version: number;
  /** When the source published this record, UTC epoch milliseconds (lag measurement only). */
  observed_at: TimestampMillis;
  /** 0-based index of this record among the records of the block (a block whose logs exceed the record size limit is split). */
  part: number;
  /** How many records carry this block's logs (1 unless split; 1 for reorg and finalize). */
  parts: number;
  /** The logs of this part, in log_index order; empty for reorg and finalize. */
  logs: Log[];
}

/** One event log as emitted by a contract. */
export interface Log {
  /** Hash of the transaction that emitted the log. */
  tx_hash: Hash;
  /** Position of that transaction in the block. */
  tx_index: number;
  /** Position of the log in the block (not in the transaction). */
  log_index: number;
  /** Contract that emitted the log. */
  address: Address;
  /** Indexed topics, 0 to 4 of them, each 32 bytes as lowercase 0x-prefixed hex; topics[0] is the event signature hash unless the event is anonymous. */
  topics: Hash[];
  /** Non-indexed data as lowercase 0x-prefixed hex ('0x' when empty). */
  data: Hex;
}

/** The transactions of one block, or a retraction of all of them (topic eth.transactions.raw, key '<chain_id>:<block_number>'). One record per block (or per part of a large block) keeps Kafka record counts and per-record overhead low; the block identity lives once in the envelope. */
export interface TransactionBatch {
  /** block: transactions holds the block's transactions (or one part of them); reorg: every transaction of block_hash is retracted and transactions is empty; finalize: a finality marker with no transactions. */
  kind: ChainEventKind;
  /** EIP-155 chain id (1 = Ethereum mainnet). */
  chain_id: number;
  /** Height of the block the transactions belong to. */
  block_number: number;
  /** Hash of the block the transactions belong to (or of the orphaned block, for reorg). */
  block_hash: Hash;
  /** Block timestamp (header seconds x 1000), UTC epoch milliseconds; repeated on reorg records. */
  block_timestamp: TimestampMillis;
  /** Fixed-width sortable checkpoint (block_timestamp, chain_id, block_number, 0, 0); format in schemas/checkpoint.ts. */
  checkpoint: string;
  /** Observation version, strictly increasing per chain at the source; equal to the version of the eth.blocks.raw record of the same observation (see BlockRecord.version). */
  version: number;
  /** When the source published this record, UTC epoch milliseconds (lag measurement only). */
  observed_at: TimestampMillis;
  /** 0-based index of this record among the records of the block (a block whose transactions exceed the record size limit is split). */
  part: number;
  /** How many records carry this block's transactions (1 unless split; 1 for reorg and finalize). */
  parts: number;
  /** The transactions of this part, in tx_index order; empty for reorg and finalize. */
  transactions: Transaction[];
}

/** One transaction with the receipt fields the source could obtain. */
export interface Transaction {
  /** Transaction hash. */
  tx_hash: Hash;
  /** Position of the transaction in its block. */
  tx_index: number;
  /** Sender. */
  from_address: Address;
  /** Recipient; null for a contract creation. */
  to_address: Address | null;
  /** Ether transferred, in wei, as a decimal string. */
  value: Uint256;
  /** Sender nonce. */
  nonce: number;
  /** Gas limit of the transaction. */
  gas: number;
  /** gasPrice in wei as reported by the node; null when absent. */
  gas_price: Uint256 | null;
  /** EIP-1559 max fee per gas in wei; null for legacy transactions. */
  max_fee_per_gas: Uint256 | null;
  /** EIP-1559 max priority fee per gas in wei; null for legacy transactions. */
  max_priority_fee_per_gas: Uint256 | null;
  /** EIP-2718 transaction type (0 legacy, 1 access list, 2 EIP-1559, 3 blob, 4 set-code). */
  tx_type: number;
  /** Call data as lowercase 0x-prefixed hex. */
  input: Hex;
  /** Receipt status (1 success, 0 reverted); null when the source read logs without receipts. */
  status: number | null;
  /** Receipt gas used; null without receipts. */
  gas_used: number | null;
  /** Receipt effective gas price in wei; null without receipts. */
  effective_gas_price: Uint256 | null;
  /** Address of the contract created by the transaction; null otherwise or without receipts. */
  contract_address: Address | null;
}

/** One USD spot price observation for a tracked token from a CoinGecko-compatible API, or a marked gap (topic market.prices.raw, key '<chain_id>:<token_address>'). Prices travel as exact decimal strings, never doubles, so USD values computed in the stream and in SQL agree exactly. */
export interface PriceTick {
  /** EIP-155 chain id of the token contract. */
  chain_id: number;
  /** Token contract address (the join key with transfers). */
  token_address: Address;
  /** CoinGecko coin id the price was requested for, e.g. 'weth'. */
  coingecko_id: string;
  /** Token symbol from config/tokens.yml, for readability. */
  symbol: string;
  /** USD price as a decimal string exactly as the API returned it (at most 18 fractional digits are kept downstream). null marks a gap: the source could not obtain a price for price_timestamp (e.g. after exhausting retries on 429) and never forward-fills one. */
  price_usd: DecimalString | null;
  /** Time the price is valid for, UTC epoch milliseconds: the API's last-updated time for spot polls, the series point time for range backfills, the poll time for gaps. */
  price_timestamp: TimestampMillis;
  /** Where the price came from: 'coingecko:simple_price' (live poll) or 'coingecko:market_chart_range' (historical backfill). */
  source: string;
  /** When the source received the response, UTC epoch milliseconds; the version in prices_spot, so a later fetch for the same price_timestamp (e.g. a backfill filling a gap) wins. */
  fetched_at: TimestampMillis;
}

/** Daily (UTC, event time) metrics of one token (topic token.metrics.daily, key '<chain_id>:<token_address>'). The aggregator emits an update whenever the open window changes and one record with is_final=true when the window closes; a retraction that changes a closed window re-emits it, final, with a higher version. Latest version wins. */
export interface TokenMetricsDaily {
  /** The UTC day of the window, as days since 1970-01-01. */
  date: EpochDay;
  /** EIP-155 chain id (1 = Ethereum mainnet). */
  chain_id: number;
  /** ERC-20 contract. */
  token_address: Address;
  /** Token symbol; null when unknown. */
  symbol: string | null;
  /** Token decimals; null when unknown (then every USD value is null). */
  decimals: number | null;
  /** Sum of amount_raw over every transfer of the day, mints and burns included. */
  volume_raw: Uint256;
  /** Sum of the USD values of the priced transfers (see priced_transfer_count), 18 fractional digits; null when no transfer of the day had a fresh price. */
  volume_usd: DecimalString | null;
  /** Sum of amount_raw over mints (from the zero address). */
  minted_raw: Uint256;
  /** Sum of amount_raw over burns (to the zero address). */
  burned_raw: Uint256;
  /** Number of transfers. A window whose transfers were all retracted is emitted with 0, which removes the row from FINAL reads. */
  transfer_count: number;
  /** Number of transfers that had a price no older than the staleness limit and so contribute to volume_usd; transfer_count - priced_transfer_count transfers have no USD value. */
  priced_transfer_count: number;
  /** Number of distinct transactions with at least one transfer of the token. */
  tx_count: number;
  /** Exact number of distinct senders and receivers, the zero address excluded. */
  unique_addresses: number;
  /** First USD price of the day from prices_spot; null without prices. */
  price_open: DecimalString | null;
  /** Highest USD price of the day; null without prices. */
  price_high: DecimalString | null;
  /** Lowest USD price of the day; null without prices. */
  price_low: DecimalString | null;
  /** Last USD price of the day (so far, for updates); null without prices. */
  price_close: DecimalString | null;
  /** PriceTick.source of the prices used; null without prices. */
  price_source: string | null;
  /** Largest age, in milliseconds, of a price used for a USD value of the day (transfer time - price time); null when no transfer was priced. */
  price_staleness_ms: number | null;
  /** Row version, strictly increasing for each (chain_id, token_address, date) across updates, the final record and re-emissions; deterministic, so a replay produces the same versions. */
  version: number;
  /** false for updates of an open window; true once the window has closed (watermark past its end). */
  is_final: boolean;
  /** Stream time (the highest block_timestamp the aggregator had seen) when this version was emitted, UTC epoch milliseconds; event-time based so replays reproduce it. */
  emitted_at: TimestampMillis;
}

/** The value type of each schema, by schema name (the .avsc file stem). */
export interface SchemaTypes {
  'address.flows.daily': AddressFlowsDaily;
  'anomalies': Anomaly;
  'dead-letter': DeadLetter;
  'dq.checks': DataQualityCheck;
  'erc20.rejects': TransferReject;
  'erc20.tokens': TokenMetadata;
  'erc20.transfer-batches': TransferBatch;
  'erc20.transfers': Transfer;
  'erc20.transfers.late': LateTransfer;
  'eth.blocks.raw': BlockRecord;
  'eth.logs.raw': LogBatch;
  'eth.transactions.raw': TransactionBatch;
  'market.prices.raw': PriceTick;
  'token.metrics.daily': TokenMetricsDaily;
}

/** Every schema name, sorted. */
export const SCHEMA_NAMES = ['address.flows.daily', 'anomalies', 'dead-letter', 'dq.checks', 'erc20.rejects', 'erc20.tokens', 'erc20.transfer-batches', 'erc20.transfers', 'erc20.transfers.late', 'eth.blocks.raw', 'eth.logs.raw', 'eth.transactions.raw', 'market.prices.raw', 'token.metrics.daily'] as const;
