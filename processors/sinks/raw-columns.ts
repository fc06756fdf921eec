import type { SinkColumn } from './row-binary/row-encoder.ts';

/**
 * The columns the raw sinks write, with the types of dwh/migrations/0001_raw_chain.sql and
 * 0002_prices.sql (type text as `system.columns` shows it). `inserted_at` (DEFAULT now64(3)) and
 * `topic0` (MATERIALIZED) are the engine's. A sink checks this list against the table before its
 * first insert (check-table-columns.ts), so a migration that changes a type cannot be written with
 * a stale layout.
 */
const ENVELOPE: readonly SinkColumn[] = [
  { name: 'chain_id', type: 'UInt64' },
  { name: 'block_number', type: 'UInt64' },
  { name: 'block_hash', type: 'String' },
  { name: 'block_timestamp', type: "DateTime64(3, 'UTC')" },
];

const VERSIONING: readonly SinkColumn[] = [
  { name: 'version', type: 'UInt64' },
  { name: 'is_orphaned', type: 'UInt8' },
  { name: 'observed_at', type: "DateTime64(3, 'UTC')" },
];

export const RAW_BLOCKS_COLUMNS: readonly SinkColumn[] = [
  ...ENVELOPE,
  { name: 'parent_hash', type: 'String' },
  { name: 'miner', type: 'String' },
  { name: 'gas_limit', type: 'UInt64' },
  { name: 'gas_used', type: 'UInt64' },
  { name: 'base_fee_per_gas', type: 'Nullable(UInt256)' },
  { name: 'size_bytes', type: 'UInt64' },
  { name: 'transaction_count', type: 'UInt32' },
  { name: 'log_count', type: 'Nullable(UInt32)' },
  { name: 'blob_gas_used', type: 'Nullable(UInt64)' },
  { name: 'excess_blob_gas', type: 'Nullable(UInt64)' },
  ...VERSIONING,
];

export const RAW_TRANSACTIONS_COLUMNS: readonly SinkColumn[] = [
  ...ENVELOPE,
  { name: 'tx_index', type: 'UInt32' },
  { name: 'tx_hash', type: 'String' },
  { name: 'from_address', type: 'String' },
  { name: 'to_address', type: 'Nullable(String)' },
  { name: 'value', type: 'UInt256' },
  { name: 'nonce', type: 'UInt64' },
  { name: 'gas', type: 'UInt64' },
  { name: 'gas_price', type: 'Nullable(UInt256)' },
  { name: 'max_fee_per_gas', type: 'Nullable(UInt256)' },
  { name: 'max_priority_fee_per_gas', type: 'Nullable(UInt256)' },
  { name: 'tx_type', type: 'UInt8' },
  { name: 'input', type: 'String' },
  { name: 'status', type: 'Nullable(UInt8)' },
  { name: 'gas_used', type: 'Nullable(UInt64)' },
  { name: 'effective_gas_price', type: 'Nullable(UInt256)' },
  { name: 'contract_address', type: 'Nullable(String)' },
  ...VERSIONING,
];

export const RAW_LOGS_COLUMNS: readonly SinkColumn[] = [
  ...ENVELOPE,
  { name: 'tx_index', type: 'UInt32' },
  { name: 'tx_hash', type: 'String' },
  { name: 'log_index', type: 'UInt32' },
  { name: 'address', type: 'String' },
  { name: 'topics', type: 'Array(String)' },
  { name: 'data', type: 'String' },
  ...VERSIONING,
];

export const PRICES_SPOT_COLUMNS: readonly SinkColumn[] = [
  { name: 'chain_id', type: 'UInt64' },
  { name: 'token_address', type: 'String' },
  { name: 'coingecko_id', type: 'LowCardinality(String)' },
  { name: 'symbol', type: 'LowCardinality(String)' },
  { name: 'price_usd', type: 'Nullable(Decimal(38, 18))' },
  { name: 'price_timestamp', type: "DateTime64(3, 'UTC')" },
  { name: 'source', type: 'LowCardinality(String)' },
  { name: 'fetched_at', type: "DateTime64(3, 'UTC')" },
];
