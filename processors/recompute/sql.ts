/**
 * The statements `oracul recompute` reads the warehouse with. Every read is FINAL (what a reader sees) except the
 * highest-version lookup, which must see deleted rows too. Parameters: `{chain:UInt64}`, `{day:Date}`,
 * `{from:…}` / `{to:…}`.
 */

/** A mart's table, its key columns besides chain_id and date, and the columns a reader sees. */
export interface MartColumns {
  readonly table: string;
  readonly keyColumns: readonly string[];
  readonly visible: readonly string[];
}

/** One day's canonical transfers in event-time order. */
export const TRANSFERS_OF_DAY = `
  SELECT chain_id, block_number, block_hash, toUnixTimestamp64Milli(block_timestamp) AS ts_ms, tx_hash, tx_index, log_index,
         token_address, from_address, to_address, toString(amount_raw) AS amount_raw, amount_decimal, decimals, symbol,
         is_mint, is_burn, form, checkpoint
  FROM erc20_transfers FINAL
  WHERE chain_id = {chain:UInt64} AND is_orphaned = 0 AND toDate(block_timestamp) = {day:Date}
  ORDER BY block_timestamp, block_number, tx_index, log_index`;

/** Prices observed in [from, to) (epoch ms). */
export const PRICES_BETWEEN = `
  SELECT token_address, toUnixTimestamp64Milli(price_timestamp) AS ts_ms, toString(price_usd) AS price_usd, source
  FROM prices_spot FINAL
  WHERE chain_id = {chain:UInt64} AND price_usd IS NOT NULL
    AND price_timestamp >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND price_timestamp < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
  ORDER BY price_timestamp, token_address`;

/** Stored token finals of the days [from, to): the token scorer's baseline. */
export const TOKEN_BASELINE = `
  SELECT toString(date) AS day_text, chain_id, token_address, toString(volume_usd) AS volume_usd, transfer_count,
         unique_addresses, version, is_final, toUnixTimestamp64Milli(emitted_at) AS emitted_at
  FROM token_metrics_daily FINAL
  WHERE chain_id = {chain:UInt64} AND is_final AND date >= {from:Date} AND date < {to:Date} ORDER BY date, token_address`;

/** Stored address finals of the days [from, to): the address scorer's baseline. */
export const ADDRESS_BASELINE = `
  SELECT toString(date) AS day_text, chain_id, address, token_address, toString(inflow_usd) AS inflow_usd,
         toString(outflow_usd) AS outflow_usd, toString(net_flow_usd) AS net_flow_usd, version, is_final,
         toUnixTimestamp64Milli(emitted_at) AS emitted_at
  FROM address_flows_daily FINAL
  WHERE chain_id = {chain:UInt64} AND is_final AND date >= {from:Date} AND date < {to:Date} ORDER BY date, address, token_address`;

/** A day's anomalies as a reader sees them. */
export const ANOMALIES_OF_DAY = `SELECT * EXCEPT (inserted_at) FROM anomalies FINAL WHERE chain_id = {chain:UInt64} AND day = {day:Date}`;

/** A mart day's visible rows, every visible column as text. */
export function visibleMartRows(mart: MartColumns): string {
  return `SELECT ${mart.keyColumns.join(', ')}, ${mart.visible.map((c) => `toString(${c}) AS ${c}`).join(', ')}
     FROM ${mart.table} FINAL WHERE chain_id = {chain:UInt64} AND date = {day:Date}`;
}

/** A mart day's highest version per key, deleted rows included (no FINAL). */
export function maxMartVersions(mart: MartColumns): string {
  const keys = mart.keyColumns.join(', ');
  return `SELECT ${keys}, max(version) AS v FROM ${mart.table} WHERE chain_id = {chain:UInt64} AND date = {day:Date} GROUP BY ${keys}`;
}
