-- Views for BI (Superset). Every view reads the latest version of each row
-- (FINAL) and hides superseded, deleted (is_deleted) and orphaned (is_orphaned)
-- rows, so a chart can never count a replayed or retracted row. Columns are
-- human-readable: a `token` label (symbol, else the address), amounts scaled by
-- the token's decimals and USD values as Float64 for charting (exact values stay
-- in the base tables), ages relative to today (UTC).
-- Superset reads them through the read-only user (readonly=1).

-- Latest metadata per token; the label falls back to the address.
CREATE VIEW IF NOT EXISTS {{database}}.v_tokens AS
SELECT
    chain_id,
    address AS token_address,
    CAST(coalesce(nullIf(symbol, ''), address) AS String) AS token,
    name AS token_name,
    decimals
FROM {{database}}.tokens FINAL;

-- One row per token and UTC day. anomaly_count: anomalies (not withdrawn) on
-- that token and day; anomaly_volume_usd: volume_usd on days with an anomaly,
-- NULL otherwise (markers on the volume line).
CREATE VIEW IF NOT EXISTS {{database}}.v_token_metrics_daily AS
SELECT
    m.date AS date,
    m.chain_id AS chain_id,
    m.token_address AS token_address,
    CAST(coalesce(nullIf(t.symbol, ''), m.symbol, m.token_address) AS String) AS token,
    t.name AS token_name,
    coalesce(m.decimals, t.decimals) AS decimals,
    toFloat64(m.volume_usd) AS volume_usd,
    if(coalesce(m.decimals, t.decimals) IS NULL, NULL, toFloat64(m.volume_raw) / exp10(assumeNotNull(coalesce(m.decimals, t.decimals)))) AS volume_tokens,
    toString(m.volume_raw) AS volume_raw,
    m.transfer_count AS transfer_count,
    m.priced_transfer_count AS priced_transfer_count,
    m.tx_count AS tx_count,
    m.unique_addresses AS unique_addresses,
    toFloat64(m.price_open) AS price_open,
    toFloat64(m.price_high) AS price_high,
    toFloat64(m.price_low) AS price_low,
    toFloat64(m.price_close) AS price_close,
    m.price_source AS price_source,
    if(m.price_staleness_ms IS NULL, NULL, intDiv(assumeNotNull(m.price_staleness_ms), 1000)) AS price_staleness_s,
    m.is_final AS is_final,
    a.anomaly_count AS anomaly_count,
    if(a.anomaly_count > 0, toFloat64(m.volume_usd), NULL) AS anomaly_volume_usd,
    m.version AS version,
    m.emitted_at AS emitted_at
FROM {{database}}.token_metrics_daily AS m FINAL
LEFT JOIN
(
    SELECT chain_id, address, argMax(symbol, version) AS symbol, argMax(name, version) AS name, argMax(decimals, version) AS decimals
    FROM {{database}}.tokens
    GROUP BY chain_id, address
) AS t ON t.chain_id = m.chain_id AND t.address = m.token_address
LEFT JOIN
(
    SELECT chain_id, entity_id, day, count() AS anomaly_count
    FROM {{database}}.anomalies FINAL
    WHERE entity_type = 'token' AND status != 'withdrawn'
    GROUP BY chain_id, entity_id, day
) AS a ON a.chain_id = m.chain_id AND a.entity_id = m.token_address AND a.day = m.date
WHERE m.is_deleted = 0;

-- One row per address, token and UTC day; USD as Float64, amounts in token units.
CREATE VIEW IF NOT EXISTS {{database}}.v_address_flows_daily AS
SELECT
    f.date AS date,
    f.chain_id AS chain_id,
    f.address AS address,
    f.token_address AS token_address,
    CAST(coalesce(nullIf(t.symbol, ''), f.symbol, f.token_address) AS String) AS token,
    toFloat64(f.inflow_usd) AS inflow_usd,
    toFloat64(f.outflow_usd) AS outflow_usd,
    toFloat64(f.net_flow_usd) AS net_flow_usd,
    if(t.decimals IS NULL, NULL, toFloat64(f.inflow_raw) / exp10(assumeNotNull(t.decimals))) AS inflow_tokens,
    if(t.decimals IS NULL, NULL, toFloat64(f.outflow_raw) / exp10(assumeNotNull(t.decimals))) AS outflow_tokens,
    if(t.decimals IS NULL, NULL, toFloat64(f.net_flow_raw) / exp10(assumeNotNull(t.decimals))) AS net_flow_tokens,
    f.transfer_count AS transfer_count,
    f.tx_count AS tx_count,
    f.counterparties_count AS counterparties_count,
    f.is_final AS is_final,
    a.anomaly_count AS anomaly_count,
    f.version AS version,
    f.emitted_at AS emitted_at
FROM {{database}}.address_flows_daily AS f FINAL
LEFT JOIN
(
    SELECT chain_id, address, argMax(symbol, version) AS symbol, argMax(decimals, version) AS decimals
    FROM {{database}}.tokens
    GROUP BY chain_id, address
) AS t ON t.chain_id = f.chain_id AND t.address = f.token_address
LEFT JOIN
(
    SELECT chain_id, entity_id, assumeNotNull(token_address) AS token_address, day, count() AS anomaly_count
    FROM {{database}}.anomalies FINAL
    WHERE entity_type = 'address' AND status != 'withdrawn' AND token_address IS NOT NULL
    GROUP BY chain_id, entity_id, token_address, day
) AS a ON a.chain_id = f.chain_id AND a.entity_id = f.address AND a.token_address = f.token_address AND a.day = f.date
WHERE f.is_deleted = 0;

-- Per address, counterparty, direction, token and UTC day, from canonical
-- (non-orphaned) transfers. The zero address stands for mints and burns.
CREATE VIEW IF NOT EXISTS {{database}}.v_address_counterparties_daily AS
SELECT
    toDate(x.block_timestamp) AS date,
    x.chain_id AS chain_id,
    x.address AS address,
    x.counterparty AS counterparty,
    x.direction AS direction,
    x.token_address AS token_address,
    CAST(coalesce(nullIf(t.symbol, ''), x.symbol, x.token_address) AS String) AS token,
    count() AS transfer_count,
    if(any(t.decimals) IS NULL, NULL, toFloat64(sum(x.amount_raw)) / exp10(assumeNotNull(any(t.decimals)))) AS amount_tokens
FROM
(
    SELECT chain_id, block_timestamp, from_address AS address, to_address AS counterparty, 'out' AS direction, token_address, symbol, amount_raw
    FROM {{database}}.erc20_transfers FINAL
    WHERE is_orphaned = 0 AND from_address != '0x0000000000000000000000000000000000000000'
    UNION ALL
    SELECT chain_id, block_timestamp, to_address AS address, from_address AS counterparty, 'in' AS direction, token_address, symbol, amount_raw
    FROM {{database}}.erc20_transfers FINAL
    WHERE is_orphaned = 0 AND to_address != '0x0000000000000000000000000000000000000000'
) AS x
LEFT JOIN
(
    SELECT chain_id, address, argMax(symbol, version) AS symbol, argMax(decimals, version) AS decimals
    FROM {{database}}.tokens
    GROUP BY chain_id, address
) AS t ON t.chain_id = x.chain_id AND t.address = x.token_address
GROUP BY date, chain_id, address, counterparty, direction, token_address, token;

-- Latest version of every anomaly that is not withdrawn. `token` labels the
-- token the metric is measured in; `address` is set for address anomalies;
-- days_ago = 0 today, 1 yesterday (UTC).
CREATE VIEW IF NOT EXISTS {{database}}.v_anomalies AS
SELECT
    n.anomaly_id AS anomaly_id,
    n.chain_id AS chain_id,
    n.entity_type AS entity_type,
    n.entity_id AS entity_id,
    if(n.entity_type = 'address', n.entity_id, NULL) AS address,
    coalesce(n.token_address, if(n.entity_type = 'token', n.entity_id, NULL)) AS token_address,
    CAST(coalesce(nullIf(t.symbol, ''), n.token_address, if(n.entity_type = 'token', n.entity_id, '')) AS String) AS token,
    n.metric AS metric,
    n.day AS day,
    dateDiff('day', n.day, toDate(now(), 'UTC')) AS days_ago,
    n.value AS value,
    n.baseline_center AS baseline_center,
    n.lower_bound AS lower_bound,
    n.upper_bound AS upper_bound,
    n.score AS score,
    n.method AS method,
    n.severity AS severity,
    multiIf(n.severity = 'high', 3, n.severity = 'medium', 2, 1) AS severity_rank,
    n.status AS status,
    n.detected_at AS detected_at,
    n.updated_at AS updated_at,
    n.version AS version
FROM {{database}}.anomalies AS n FINAL
LEFT JOIN
(
    SELECT chain_id, address, argMax(symbol, version) AS symbol
    FROM {{database}}.tokens
    GROUP BY chain_id, address
) AS t ON t.chain_id = n.chain_id AND t.address = coalesce(n.token_address, n.entity_id)
WHERE n.status != 'withdrawn';

-- Latest run of every check (check, chain, subject), with failures of the last 24 hours.
CREATE VIEW IF NOT EXISTS {{database}}.v_data_quality AS
SELECT
    d.check_name AS check_name,
    d.chain_id AS chain_id,
    d.subject AS subject,
    argMax(d.status, d.checked_at) AS status,
    argMax(d.observed, d.checked_at) AS observed,
    argMax(d.threshold, d.checked_at) AS threshold,
    argMax(d.check_window, d.checked_at) AS check_window,
    max(d.checked_at) AS last_checked_at,
    dateDiff('minute', max(d.checked_at), now64(3, 'UTC')) AS minutes_since_check,
    countIf(d.status != 'pass' AND d.checked_at >= now64(3, 'UTC') - INTERVAL 1 DAY) AS failures_24h,
    countIf(d.checked_at >= now64(3, 'UTC') - INTERVAL 1 DAY) AS runs_24h,
    argMax(d.details, d.checked_at) AS details
FROM {{database}}.data_quality_checks AS d FINAL
GROUP BY d.check_name, d.chain_id, d.subject;
