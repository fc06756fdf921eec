/**
 * Every SQL statement the gateway runs, as constants. User input reaches ClickHouse
 * only through `query_params` ({name:Type} placeholders bound by the server); no
 * statement is ever assembled from strings at run time (gateway/sql.test.ts checks it).
 * Tables are ReplacingMergeTree: reads use FINAL (docs/dwh.md, "Reading the latest rows"), except the day-range
 * reads, which resolve versions over the key range of a serving table (docs/adr/0013-gateway-read-path.md).
 * Decimal columns are selected with toString so exact values never pass through a JS number.
 * No SETTINGS clauses: the read-only user (readonly=1) may not change settings.
 */
export const SQL = {
  ping: 'SELECT 1 AS ok',

  tokensPage: `
SELECT chain_id, address, symbol, name, decimals, source, symbol_encoding, updated_at, version
FROM tokens FINAL
WHERE chain_id = {chain_id:UInt64} AND address > {after:String}
ORDER BY address
LIMIT {limit:UInt32}`,

  tokensByAddress: `
SELECT chain_id, address, symbol, name, decimals, source, symbol_encoding, updated_at, version
FROM tokens FINAL
WHERE chain_id = {chain_id:UInt64} AND address IN {addresses:Array(String)}`,

  // Serving table (migration 0011): every stored version of each day in the hull, in no particular order; the gateway
  // keeps what FINAL would (the highest version per day, the later insert on a tie, no day whose newest version is
  // deleted: newestPerDay in gateway/day-range-reads.ts). Lines are `token_address<TAB>date<TAB>version<TAB>
  // inserted_at<TAB>is_deleted<TAB>row` (TabSeparatedRaw), `row` the JSON object the table stores. Resolving versions
  // in the statement (ORDER BY … version DESC, inserted_at DESC LIMIT 1 BY, then is_deleted = 0 outside) cost the
  // engine 1.2–1.5 ms more per statement on the idle machine (4.4 against 3.1 ms for one token, 6.7 against 5.3 ms
  // for four; in process, ADR 0016): a sort of the wide rows. A day has few versions once merged; the extra ones
  // of an open day are split off as text, never parsed. One statement answers the concurrent reads of several tokens:
  // it covers the hull of their ranges, and each read keeps its own days. A per-token range inside the statement
  // (arrays indexed by the token) cost the engine ~1.3 ms more per statement than the hull.
  tokenMetricsDaily: `
SELECT token_address, date, version, inserted_at, is_deleted, row
FROM gateway_token_metrics_daily
WHERE chain_id = {chain_id:UInt64} AND token_address IN {tokens:Array(String)} AND date BETWEEN {from:Date} AND {to:Date}`,

  // One statement for every ranking: the caller sets exactly one by_* flag (WarehouseReader.topTokens, from the
  // TopTokensBy enum), the other sort keys are then constant. Columns are qualified because the SELECT list
  // re-aliases volume_usd as a string.
  topTokens: `
SELECT date, chain_id, token_address, symbol, decimals, volume_raw, toString(volume_usd) AS volume_usd,
  minted_raw, burned_raw, transfer_count, priced_transfer_count, tx_count, unique_addresses,
  toString(price_open) AS price_open, toString(price_high) AS price_high, toString(price_low) AS price_low,
  toString(price_close) AS price_close, price_source, price_staleness_ms, version, is_final, emitted_at, inserted_at
FROM token_metrics_daily FINAL
WHERE chain_id = {chain_id:UInt64} AND date = {day:Date}
ORDER BY
  if({by_volume_usd:UInt8} = 1, token_metrics_daily.volume_usd, NULL) DESC NULLS LAST,
  if({by_transfer_count:UInt8} = 1, token_metrics_daily.transfer_count, 0) DESC,
  if({by_unique_addresses:UInt8} = 1, token_metrics_daily.unique_addresses, 0) DESC,
  token_address
LIMIT {limit:UInt32}`,

  // Like tokenMetricsDaily, per address (`address<TAB>date<TAB>token_address<TAB>row`); {token} filters when every
  // read of the statement asks for the same token ('' = every token); at most {limit} rows per address.
  addressFlowsDaily: `
SELECT address, date, token_address, row
FROM (
  SELECT address, date, token_address, is_deleted, row
  FROM gateway_address_flows_daily
  WHERE chain_id = {chain_id:UInt64} AND address IN {addresses:Array(String)} AND date BETWEEN {from:Date} AND {to:Date}
    AND ({token:String} = '' OR token_address = {token:String})
  ORDER BY address, date, token_address, version DESC, inserted_at DESC
  LIMIT 1 BY address, date, token_address
)
WHERE is_deleted = 0
ORDER BY address, date, token_address
LIMIT {limit:UInt32} BY address`,

  anomaliesPage: `
SELECT anomaly_id, chain_id, entity_type, entity_id, token_address, metric, day, value,
  baseline_center, baseline_spread, baseline_days, score, lower_bound, upper_bound, method, severity, status,
  detected_at, updated_at, version, source_version
FROM anomalies FINAL
WHERE chain_id = {chain_id:UInt64}
  AND ({entity_type:String} = '' OR entity_type = {entity_type:String})
  AND ({entity_id:String} = '' OR entity_id = {entity_id:String})
  AND day BETWEEN {from:Date} AND {to:Date}
  AND severity IN {severities:Array(String)}
  AND status IN {statuses:Array(String)}
  AND ({has_cursor:UInt8} = 0
    OR (day, detected_at, anomaly_id) < ({cursor_day:Date}, {cursor_detected_at:DateTime64(3, 'UTC')}, {cursor_id:String}))
ORDER BY day DESC, detected_at DESC, anomaly_id DESC
LIMIT {limit:UInt32}`,

  dataQuality: `
SELECT check_name, chain_id, subject, status, observed, threshold, check_window, checked_at, details
FROM data_quality_checks FINAL
WHERE checked_at >= toDateTime64({from:Date}, 3, 'UTC') AND checked_at < toDateTime64({to:Date} + 1, 3, 'UTC')
  AND ({status:String} = '' OR status = {status:String})
ORDER BY checked_at DESC, check_name, chain_id, subject
LIMIT {limit:UInt32}`,

  latestBlock: `
SELECT block_number, block_timestamp
FROM raw_blocks FINAL
WHERE chain_id = {chain_id:UInt64}
ORDER BY block_number DESC
LIMIT 1`,

  latestDataQuality: `
SELECT check_name, status, checked_at
FROM data_quality_checks FINAL
ORDER BY checked_at DESC
LIMIT 1`,
} as const;

export type SqlName = keyof typeof SQL;

/**
 * Statements answering several entities: `entity<TAB>date[<TAB>token]<TAB>row` per line, `row` a JSON object (read as
 * TabSeparatedRaw, parsed once per read).
 */
export const KEYED_JSON_ROW_STATEMENTS: ReadonlySet<SqlName> = new Set<SqlName>(['tokenMetricsDaily', 'addressFlowsDaily']);

/**
 * The day-range reads as they were before the serving tables: FINAL on the marts. Not run by the gateway;
 * the equivalence test (gateway/serving.it.test.ts) and the benchmark compare the serving reads with them.
 */
export const FINAL_REFERENCE_SQL = {
  tokenMetricsDaily: `
SELECT date, chain_id, token_address, symbol, decimals, volume_raw, toString(volume_usd) AS volume_usd,
  minted_raw, burned_raw, transfer_count, priced_transfer_count, tx_count, unique_addresses,
  toString(price_open) AS price_open, toString(price_high) AS price_high, toString(price_low) AS price_low,
  toString(price_close) AS price_close, price_source, price_staleness_ms, version, is_final, emitted_at, inserted_at
FROM token_metrics_daily FINAL
WHERE chain_id = {chain_id:UInt64} AND token_address = {token:String} AND date BETWEEN {from:Date} AND {to:Date}
ORDER BY date`,
  addressFlowsDaily: `
SELECT date, chain_id, address, token_address, symbol, inflow_raw, outflow_raw, net_flow_raw,
  toString(inflow_usd) AS inflow_usd, toString(outflow_usd) AS outflow_usd, toString(net_flow_usd) AS net_flow_usd,
  transfer_count, tx_count, counterparties_count, version, is_final, emitted_at, inserted_at
FROM address_flows_daily FINAL
WHERE chain_id = {chain_id:UInt64} AND address = {address:String} AND date BETWEEN {from:Date} AND {to:Date}
  AND ({token:String} = '' OR token_address = {token:String})
ORDER BY date, token_address
LIMIT {limit:UInt32}`,
} as const;
