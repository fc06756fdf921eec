-- Raw chain data, one row per block / transaction / log as the block source saw it.
--
-- Every raw table is ReplacingMergeTree(version, is_orphaned):
--   * a replayed Kafka record re-inserts the same row with the same version, and
--     merges (or FINAL) keep one copy;
--   * a reorg retraction re-inserts the orphaned block's rows with a higher
--     version and is_orphaned = 1, and FINAL drops them from results.
-- The ORDER BY key includes block_hash, so an orphaned block and its canonical
-- replacement at the same height are different rows. Rows of one key always
-- share block_timestamp, hence one partition: deduplication works per partition.
-- Readers: SELECT ... FROM raw_logs FINAL, or argMax(..., version) with
-- argMax(is_orphaned, version) = 0 (docs/dwh.md).
-- {{database}} is replaced by the runner (dwh/migrate.ts) with the target database.

CREATE TABLE IF NOT EXISTS {{database}}.raw_blocks
(
    chain_id          UInt64 COMMENT 'EIP-155 chain id',
    block_number      UInt64 CODEC(Delta, ZSTD(1)),
    block_hash        String CODEC(ZSTD(1)),
    parent_hash       String CODEC(ZSTD(1)),
    block_timestamp   DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    miner             String CODEC(ZSTD(1)),
    gas_limit         UInt64 CODEC(ZSTD(1)),
    gas_used          UInt64 CODEC(ZSTD(1)),
    base_fee_per_gas  Nullable(UInt256) COMMENT 'wei; NULL before London',
    size_bytes        UInt64 CODEC(ZSTD(1)),
    transaction_count UInt32 COMMENT 'from the header; DQ compares it with raw_transactions',
    log_count         Nullable(UInt32) COMMENT 'logs the source published; NULL when not counted',
    blob_gas_used     Nullable(UInt64),
    excess_blob_gas   Nullable(UInt64),
    version           UInt64 COMMENT 'source observation version; the highest wins',
    is_orphaned       UInt8 COMMENT '1 = retracted by a reorg; FINAL hides the row',
    observed_at       DateTime64(3, 'UTC') COMMENT 'when the source published the record',
    inserted_at       DateTime64(3, 'UTC') DEFAULT now64(3) COMMENT 'when the sink inserted the row'
)
ENGINE = ReplacingMergeTree(version, is_orphaned)
PARTITION BY toYYYYMM(block_timestamp)
ORDER BY (chain_id, block_number, block_hash)
COMMENT 'eth.blocks.raw: one row per ingested block; orphaned blocks kept with is_orphaned = 1';

CREATE TABLE IF NOT EXISTS {{database}}.raw_transactions
(
    chain_id                 UInt64,
    block_number             UInt64 CODEC(Delta, ZSTD(1)),
    block_hash               String CODEC(ZSTD(1)),
    block_timestamp          DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    tx_index                 UInt32,
    tx_hash                  String CODEC(ZSTD(1)),
    from_address             String CODEC(ZSTD(1)),
    to_address               Nullable(String) COMMENT 'NULL for contract creation' CODEC(ZSTD(1)),
    value                    UInt256 COMMENT 'wei',
    nonce                    UInt64,
    gas                      UInt64,
    gas_price                Nullable(UInt256),
    max_fee_per_gas          Nullable(UInt256),
    max_priority_fee_per_gas Nullable(UInt256),
    tx_type                  UInt8,
    input                    String COMMENT 'call data, 0x hex' CODEC(ZSTD(3)),
    status                   Nullable(UInt8) COMMENT 'receipt status; NULL when ingested without receipts',
    gas_used                 Nullable(UInt64),
    effective_gas_price      Nullable(UInt256),
    contract_address         Nullable(String),
    version                  UInt64,
    is_orphaned              UInt8,
    observed_at              DateTime64(3, 'UTC'),
    inserted_at              DateTime64(3, 'UTC') DEFAULT now64(3),
    INDEX idx_tx_hash tx_hash TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX idx_from_address from_address TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = ReplacingMergeTree(version, is_orphaned)
PARTITION BY toYYYYMM(block_timestamp)
ORDER BY (chain_id, block_number, block_hash, tx_index)
COMMENT 'eth.transactions.raw: one row per transaction';

CREATE TABLE IF NOT EXISTS {{database}}.raw_logs
(
    chain_id        UInt64,
    block_number    UInt64 CODEC(Delta, ZSTD(1)),
    block_hash      String CODEC(ZSTD(1)),
    block_timestamp DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    tx_index        UInt32,
    tx_hash         String CODEC(ZSTD(1)),
    log_index       UInt32,
    address         String COMMENT 'emitting contract' CODEC(ZSTD(1)),
    topics          Array(String) CODEC(ZSTD(1)),
    topic0          String MATERIALIZED topics[1] COMMENT 'event signature hash ('''' when anonymous with no topics)',
    data            String CODEC(ZSTD(3)),
    version         UInt64,
    is_orphaned     UInt8,
    observed_at     DateTime64(3, 'UTC'),
    inserted_at     DateTime64(3, 'UTC') DEFAULT now64(3),
    INDEX idx_address address TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX idx_topic0 topic0 TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX idx_tx_hash tx_hash TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = ReplacingMergeTree(version, is_orphaned)
PARTITION BY toYYYYMM(block_timestamp)
ORDER BY (chain_id, block_number, block_hash, log_index)
COMMENT 'eth.logs.raw: one row per log';
