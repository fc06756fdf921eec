-- USD spot prices of tracked tokens (market.prices.raw).
-- ReplacingMergeTree(fetched_at): one row per (token, price_timestamp); a replay
-- is deduplicated and a later fetch for the same instant (a backfill filling a
-- gap) replaces the earlier one. NULL price_usd rows are gap markers: as-of
-- readers filter price_usd IS NOT NULL (docs/dwh.md).

CREATE TABLE IF NOT EXISTS {{database}}.prices_spot
(
    chain_id        UInt64,
    token_address   String,
    coingecko_id    LowCardinality(String),
    symbol          LowCardinality(String),
    price_usd       Nullable(Decimal(38, 18)) COMMENT 'exact decimal; NULL marks a gap the source could not fill',
    price_timestamp DateTime64(3, 'UTC') COMMENT 'instant the price is valid for' CODEC(Delta, ZSTD(1)),
    source          LowCardinality(String) COMMENT 'coingecko:simple_price | coingecko:market_chart_range',
    fetched_at      DateTime64(3, 'UTC') COMMENT 'version: the latest fetch wins',
    inserted_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(fetched_at)
PARTITION BY toYYYYMM(price_timestamp)
ORDER BY (chain_id, token_address, price_timestamp)
COMMENT 'market.prices.raw: USD prices for as-of joins (latest price at or before a transfer)';
