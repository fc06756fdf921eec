-- Daily marts, upserted by version: the aggregators emit updates while a day is
-- open, a final record at close, and re-emit with a higher version after a
-- retraction. ReplacingMergeTree(version, is_deleted) keeps the latest version
-- per key; is_deleted is computed from the row (transfer_count = 0), so a day
-- whose transfers were all retracted disappears from FINAL reads instead of
-- lingering as a zero row.
-- USD columns are Decimal(76, 18): sums are exact and order-independent, so the
-- streaming result can equal a SQL recomputation exactly.

CREATE TABLE IF NOT EXISTS {{database}}.token_metrics_daily
(
    date                  Date,
    chain_id              UInt64,
    token_address         String,
    symbol                LowCardinality(Nullable(String)),
    decimals              Nullable(UInt8),
    volume_raw            UInt256,
    volume_usd            Nullable(Decimal(76, 18)),
    minted_raw            UInt256,
    burned_raw            UInt256,
    transfer_count        UInt64,
    priced_transfer_count UInt64 COMMENT 'transfers with a fresh price, i.e. included in volume_usd',
    tx_count              UInt64,
    unique_addresses      UInt64,
    price_open            Nullable(Decimal(38, 18)),
    price_high            Nullable(Decimal(38, 18)),
    price_low             Nullable(Decimal(38, 18)),
    price_close           Nullable(Decimal(38, 18)),
    price_source          LowCardinality(Nullable(String)),
    price_staleness_ms    Nullable(UInt64),
    version               UInt64 COMMENT 'per (chain_id, token_address, date); the highest wins',
    is_final              Bool COMMENT 'false while the day is open',
    emitted_at            DateTime64(3, 'UTC'),
    inserted_at           DateTime64(3, 'UTC') DEFAULT now64(3),
    is_deleted            UInt8 MATERIALIZED transfer_count = 0 COMMENT 'every transfer retracted: FINAL drops the row'
)
ENGINE = ReplacingMergeTree(version, is_deleted)
PARTITION BY toYYYYMM(date)
ORDER BY (chain_id, token_address, date)
COMMENT 'token.metrics.daily: one row per token and UTC day, latest version wins';

CREATE TABLE IF NOT EXISTS {{database}}.address_flows_daily
(
    date                 Date,
    chain_id             UInt64,
    address              String,
    token_address        String,
    symbol               LowCardinality(Nullable(String)),
    inflow_raw           UInt256,
    outflow_raw          UInt256,
    net_flow_raw         Int256,
    inflow_usd           Nullable(Decimal(76, 18)),
    outflow_usd          Nullable(Decimal(76, 18)),
    net_flow_usd         Nullable(Decimal(76, 18)),
    transfer_count       UInt64,
    tx_count             UInt64,
    counterparties_count UInt64,
    version              UInt64 COMMENT 'per (chain_id, address, token_address, date); the highest wins',
    is_final             Bool,
    emitted_at           DateTime64(3, 'UTC'),
    inserted_at          DateTime64(3, 'UTC') DEFAULT now64(3),
    is_deleted           UInt8 MATERIALIZED transfer_count = 0 COMMENT 'every transfer retracted: FINAL drops the row'
)
ENGINE = ReplacingMergeTree(version, is_deleted)
PARTITION BY toYYYYMM(date)
ORDER BY (chain_id, address, date, token_address)
COMMENT 'address.flows.daily: one row per address, token and UTC day, latest version wins';
