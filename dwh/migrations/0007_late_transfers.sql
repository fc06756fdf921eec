-- erc20.transfers.late: transfers that reached a daily aggregator after their window closed (watermark past the
-- day's end + grace). They are in erc20_transfers like every transfer but are not counted in the daily marts;
-- this table says which and why, so `erc20_transfers` minus `erc20_transfers_late` reproduces every mart row.

CREATE TABLE IF NOT EXISTS {{database}}.erc20_transfers_late
(
    processor       LowCardinality(String) COMMENT 'token-metrics-daily | address-flows-daily',
    address         String COMMENT 'address-flows-daily: the address whose leg was late; empty for token-metrics-daily',
    chain_id        UInt64,
    token_address   String,
    block_number    UInt64,
    block_hash      String,
    log_index       UInt32,
    tx_hash         String,
    block_timestamp DateTime64(3, 'UTC'),
    kind            LowCardinality(String) COMMENT 'transfer | retraction',
    from_address    String,
    to_address      String,
    amount_raw      UInt256,
    window_start    DateTime64(3, 'UTC') COMMENT 'start of the closed window the transfer belongs to',
    watermark       DateTime64(3, 'UTC') COMMENT 'partition watermark when it arrived',
    detected_at     DateTime64(3, 'UTC'),
    inserted_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(block_timestamp)
ORDER BY (processor, chain_id, token_address, block_number, log_index, block_hash, address, kind)
COMMENT 'erc20.transfers.late: transfers not counted in the daily marts because they arrived after the window closed';
