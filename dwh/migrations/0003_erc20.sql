-- Curated ERC-20 layer: token metadata, decoded transfers, rejected Transfer-like logs.

-- Latest metadata per contract, from the seed CSV (dwh/seeds, loaded by the
-- migration runner) and from erc20.tokens (RPC reads). Tiny: no partitioning.
CREATE TABLE IF NOT EXISTS {{database}}.tokens
(
    chain_id        UInt64,
    address         String,
    symbol          Nullable(String),
    name            Nullable(String),
    decimals        Nullable(UInt8) COMMENT 'NULL = unknown: USD values stay NULL, 18 is never assumed',
    source          LowCardinality(String) COMMENT 'seed | rpc',
    symbol_encoding LowCardinality(Nullable(String)) COMMENT 'string | bytes32 | SYMBOL for rpc rows',
    updated_at      DateTime64(3, 'UTC'),
    version         UInt64 COMMENT 'epoch ms of the change; the highest wins'
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (chain_id, address)
COMMENT 'erc20.tokens + dwh/seeds/erc20_token_metadata.csv: latest metadata per token contract';

-- One row per Transfer event. Identity (chain_id, block_hash, log_index); the
-- other key columns are functions of it, placed first for the read patterns
-- (a token over a block range; addresses and tx hashes through skip indexes).
-- Retractions re-insert the row with a higher version and is_orphaned = 1.
CREATE TABLE IF NOT EXISTS {{database}}.erc20_transfers
(
    chain_id        UInt64,
    block_number    UInt64 CODEC(Delta, ZSTD(1)),
    block_hash      String CODEC(ZSTD(1)),
    block_timestamp DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    tx_hash         String CODEC(ZSTD(1)),
    tx_index        UInt32,
    log_index       UInt32,
    token_address   String CODEC(ZSTD(1)),
    from_address    String CODEC(ZSTD(1)),
    to_address      String CODEC(ZSTD(1)),
    amount_raw      UInt256 COMMENT 'exact base units',
    amount_decimal  Nullable(String) COMMENT 'exact amount_raw / 10^decimals as text, for display; NULL when decimals unknown',
    decimals        Nullable(UInt8),
    symbol          LowCardinality(Nullable(String)),
    is_mint         Bool,
    is_burn         Bool,
    form            LowCardinality(String) COMMENT 'standard | legacy (non-indexed from/to)',
    version         UInt64,
    is_orphaned     UInt8 COMMENT '1 = retracted by a reorg; FINAL hides the row',
    inserted_at     DateTime64(3, 'UTC') DEFAULT now64(3),
    checkpoint      String ALIAS concat(
        leftPad(toString(toUnixTimestamp64Milli(block_timestamp)), 13, '0'),
        leftPad(toString(chain_id), 16, '0'),
        leftPad(toString(block_number), 16, '0'),
        leftPad(toString(tx_index), 10, '0'),
        leftPad(toString(log_index), 10, '0')) COMMENT 'same string as schemas/checkpoint.ts; computed, not stored',
    INDEX idx_from_address from_address TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX idx_to_address to_address TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX idx_tx_hash tx_hash TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = ReplacingMergeTree(version, is_orphaned)
PARTITION BY toYYYYMM(block_timestamp)
ORDER BY (chain_id, token_address, block_number, log_index, block_hash)
COMMENT 'erc20.transfers: decoded ERC-20 transfers';

CREATE TABLE IF NOT EXISTS {{database}}.erc20_rejects
(
    chain_id        UInt64,
    block_number    UInt64 CODEC(Delta, ZSTD(1)),
    block_hash      String CODEC(ZSTD(1)),
    block_timestamp DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    tx_hash         String CODEC(ZSTD(1)),
    tx_index        UInt32,
    log_index       UInt32,
    token_address   String COMMENT 'emitting contract' CODEC(ZSTD(1)),
    reason          LowCardinality(String) COMMENT 'erc721_transfer | wrong_topic_count | wrong_data_length | invalid_address',
    topics          Array(String) CODEC(ZSTD(1)),
    data            String CODEC(ZSTD(3)),
    version         UInt64,
    is_orphaned     UInt8,
    inserted_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(version, is_orphaned)
PARTITION BY toYYYYMM(block_timestamp)
ORDER BY (chain_id, block_number, log_index, block_hash)
COMMENT 'erc20.rejects: Transfer-signature logs that are not valid ERC-20 transfers, with the reason';
