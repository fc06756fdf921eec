-- Serving tables for the GraphQL gateway's day-range reads (docs/adr/0013-gateway-read-path.md).
-- A 90-day primary-key read of a mart costs the engine ~25 ms of CPU with FINAL, ~12 ms without: it opens
-- and decompresses every selected column (≈ 20, wide UInt256/Decimal256) in every monthly part the range
-- touches (4), a granule of 8192 rows each. These tables hold the same rows keyed the same way, with:
--   * the row already rendered as the JSON object the gateway reads (`row`): one column to decompress;
--   * yearly partitions: a 90-day range touches one or two parts;
--   * 256-row granules in ~4 KiB compressed blocks: a key range decompresses a few KiB, not ~1 MiB per column.
-- Filled by materialized views on every insert into the marts (the sinks, recompute, backfills), so they
-- hold every version the marts hold; the gateway resolves versions with LIMIT 1 BY over the key range
-- (latest version, then latest insert, as FINAL does) and drops keys whose latest version is deleted.
-- Every 64-bit and wider integer, decimal and time is rendered as a string (toString), so the JSON does
-- not depend on the writer's output_format_json_* settings.

CREATE TABLE IF NOT EXISTS {{database}}.gateway_token_metrics_daily
(
    chain_id      UInt64,
    token_address String,
    date          Date,
    version       UInt64,
    inserted_at   DateTime64(3, 'UTC') COMMENT 'of the mart row; breaks version ties like FINAL (the later insert wins)',
    is_deleted    UInt8 COMMENT 'transfer_count = 0, as the mart',
    row           String COMMENT 'the token_metrics_daily row as one JSON object, as the gateway reads it' CODEC(ZSTD(1))
)
ENGINE = ReplacingMergeTree(version, is_deleted)
PARTITION BY toYear(date)
ORDER BY (chain_id, token_address, date)
SETTINGS index_granularity = 256, min_compress_block_size = 4096, max_compress_block_size = 65536
COMMENT 'gateway serving copy of token_metrics_daily (migration 0011): every version, row pre-rendered';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.gateway_token_metrics_daily_mv
TO {{database}}.gateway_token_metrics_daily
AS SELECT
    chain_id,
    token_address,
    date,
    version,
    inserted_at,
    toUInt8(transfer_count = 0) AS is_deleted,
    toJSONString(CAST(tuple(
        toString(date), toString(chain_id), token_address, symbol, decimals, toString(volume_raw), toString(volume_usd),
        toString(minted_raw), toString(burned_raw), toString(transfer_count), toString(priced_transfer_count),
        toString(tx_count), toString(unique_addresses), toString(price_open), toString(price_high), toString(price_low),
        toString(price_close), price_source, toString(price_staleness_ms), toString(version), is_final,
        toString(emitted_at), toString(inserted_at)),
        'Tuple(date String, chain_id String, token_address String, symbol Nullable(String), decimals Nullable(UInt8), volume_raw String, volume_usd Nullable(String), minted_raw String, burned_raw String, transfer_count String, priced_transfer_count String, tx_count String, unique_addresses String, price_open Nullable(String), price_high Nullable(String), price_low Nullable(String), price_close Nullable(String), price_source Nullable(String), price_staleness_ms Nullable(String), version String, is_final Bool, emitted_at String, inserted_at String)'
    )) AS row
FROM {{database}}.token_metrics_daily;

-- Rows the mart held before the view existed (a re-run or a row the view also wrote is the same version: harmless).
INSERT INTO {{database}}.gateway_token_metrics_daily
SELECT
    chain_id,
    token_address,
    date,
    version,
    inserted_at,
    toUInt8(transfer_count = 0) AS is_deleted,
    toJSONString(CAST(tuple(
        toString(date), toString(chain_id), token_address, symbol, decimals, toString(volume_raw), toString(volume_usd),
        toString(minted_raw), toString(burned_raw), toString(transfer_count), toString(priced_transfer_count),
        toString(tx_count), toString(unique_addresses), toString(price_open), toString(price_high), toString(price_low),
        toString(price_close), price_source, toString(price_staleness_ms), toString(version), is_final,
        toString(emitted_at), toString(inserted_at)),
        'Tuple(date String, chain_id String, token_address String, symbol Nullable(String), decimals Nullable(UInt8), volume_raw String, volume_usd Nullable(String), minted_raw String, burned_raw String, transfer_count String, priced_transfer_count String, tx_count String, unique_addresses String, price_open Nullable(String), price_high Nullable(String), price_low Nullable(String), price_close Nullable(String), price_source Nullable(String), price_staleness_ms Nullable(String), version String, is_final Bool, emitted_at String, inserted_at String)'
    )) AS row
FROM {{database}}.token_metrics_daily;

CREATE TABLE IF NOT EXISTS {{database}}.gateway_address_flows_daily
(
    chain_id      UInt64,
    address       String,
    date          Date,
    token_address String,
    version       UInt64,
    inserted_at   DateTime64(3, 'UTC') COMMENT 'of the mart row; breaks version ties like FINAL (the later insert wins)',
    is_deleted    UInt8 COMMENT 'transfer_count = 0, as the mart',
    row           String COMMENT 'the address_flows_daily row as one JSON object, as the gateway reads it' CODEC(ZSTD(1))
)
ENGINE = ReplacingMergeTree(version, is_deleted)
PARTITION BY toYear(date)
ORDER BY (chain_id, address, date, token_address)
SETTINGS index_granularity = 256, min_compress_block_size = 4096, max_compress_block_size = 65536
COMMENT 'gateway serving copy of address_flows_daily (migration 0011): every version, row pre-rendered';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.gateway_address_flows_daily_mv
TO {{database}}.gateway_address_flows_daily
AS SELECT
    chain_id,
    address,
    date,
    token_address,
    version,
    inserted_at,
    toUInt8(transfer_count = 0) AS is_deleted,
    toJSONString(CAST(tuple(
        toString(date), toString(chain_id), address, token_address, symbol, toString(inflow_raw), toString(outflow_raw),
        toString(net_flow_raw), toString(inflow_usd), toString(outflow_usd), toString(net_flow_usd),
        toString(transfer_count), toString(tx_count), toString(counterparties_count), toString(version), is_final,
        toString(emitted_at), toString(inserted_at)),
        'Tuple(date String, chain_id String, address String, token_address String, symbol Nullable(String), inflow_raw String, outflow_raw String, net_flow_raw String, inflow_usd Nullable(String), outflow_usd Nullable(String), net_flow_usd Nullable(String), transfer_count String, tx_count String, counterparties_count String, version String, is_final Bool, emitted_at String, inserted_at String)'
    )) AS row
FROM {{database}}.address_flows_daily;

INSERT INTO {{database}}.gateway_address_flows_daily
SELECT
    chain_id,
    address,
    date,
    token_address,
    version,
    inserted_at,
    toUInt8(transfer_count = 0) AS is_deleted,
    toJSONString(CAST(tuple(
        toString(date), toString(chain_id), address, token_address, symbol, toString(inflow_raw), toString(outflow_raw),
        toString(net_flow_raw), toString(inflow_usd), toString(outflow_usd), toString(net_flow_usd),
        toString(transfer_count), toString(tx_count), toString(counterparties_count), toString(version), is_final,
        toString(emitted_at), toString(inserted_at)),
        'Tuple(date String, chain_id String, address String, token_address String, symbol Nullable(String), inflow_raw String, outflow_raw String, net_flow_raw String, inflow_usd Nullable(String), outflow_usd Nullable(String), net_flow_usd Nullable(String), transfer_count String, tx_count String, counterparties_count String, version String, is_final Bool, emitted_at String, inserted_at String)'
    )) AS row
FROM {{database}}.address_flows_daily;
