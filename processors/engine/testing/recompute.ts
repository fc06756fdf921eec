import type { ClickHouseClient } from '@clickhouse/client';
import { divRoundHalfEven, pow10 } from '../../aggregates/decimal.ts';

/**
 * The independent recomputation the stream-engine tests compare with: the daily marts rebuilt by SQL from
 * `erc20_transfers` (FINAL: reorged rows hidden), `prices_spot` and the late-transfer log, and the streamed mart
 * tables read the same way (latest version). Both sides are rendered as plain strings so a difference shows up
 * in a readable diff. USD sums are computed exactly in SQL (Decimal256) and rounded half-to-even to 6 digits.
 */

const ZERO = '0x0000000000000000000000000000000000000000';

export interface MartRow {
  readonly [column: string]: string;
}

async function rows(client: ClickHouseClient, query: string, params: Record<string, unknown> = {}): Promise<MartRow[]> {
  const result = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return (await result.json<Record<string, unknown>>()).map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? 'null' : String(v)])),
  );
}

/** Counted transfers: canonical (not orphaned) and not routed late by the given processor. */
const counted = (processor: string): string => `
  SELECT * FROM erc20_transfers FINAL
  WHERE is_orphaned = 0 AND chain_id = {chain:UInt64}
    AND (block_hash, log_index) NOT IN (
      SELECT block_hash, log_index FROM erc20_transfers_late WHERE processor = '${processor}' AND kind = 'transfer')`;

/** Rounds an exact decimal string (scale 18) divided by 10^decimals to 6 digits, half to even. */
function usd(exactScaled18: string, decimals: number): string {
  const [int, frac = ''] = exactScaled18.split('.');
  const scaled = BigInt((int ?? '0') + frac.padEnd(18, '0').slice(0, 18));
  const micro = divRoundHalfEven(scaled, pow10(decimals + 12));
  const negative = micro < 0n;
  const abs = negative ? -micro : micro;
  const text = `${abs / 1_000_000n}.${(abs % 1_000_000n).toString().padStart(6, '0')}`;
  return negative ? `-${text}` : text;
}

/** Trims a decimal string's trailing zeros (`3000.10000000` → `3000.1`) so renderings compare. */
export function normalDecimal(value: string): string {
  if (value === 'null' || !value.includes('.')) return value;
  return value.replace(/0+$/, '').replace(/\.$/, '');
}

export async function expectedTokenMetrics(client: ClickHouseClient, chainId: number, stalenessS: number): Promise<MartRow[]> {
  const base = await rows(
    client,
    `WITH t AS (${counted('token-metrics-daily')})
     SELECT toString(toDate(block_timestamp)) AS date, token_address,
            toString(sum(amount_raw)) AS volume_raw,
            toString(sumIf(amount_raw, is_mint)) AS minted_raw,
            toString(sumIf(amount_raw, is_burn)) AS burned_raw,
            count() AS transfer_count,
            uniqExact(tx_hash) AS tx_count,
            length(arrayDistinct(arrayFilter(a -> a != '${ZERO}', arrayConcat(groupArray(from_address), groupArray(to_address))))) AS unique_addresses
     FROM t GROUP BY date, token_address ORDER BY date, token_address`,
    { chain: chainId },
  );
  // As-of join: the latest price at or before each transfer, no older than the staleness limit.
  const priced = await rows(
    client,
    `WITH t AS (${counted('token-metrics-daily')}),
          p AS (SELECT token_address, price_timestamp, price_usd FROM prices_spot FINAL
                WHERE chain_id = {chain:UInt64} AND price_usd IS NOT NULL)
     SELECT toString(toDate(t.block_timestamp)) AS date, t.token_address AS token_address,
            any(tok.decimals) AS decimals,
            countIf(p.price_timestamp != toDateTime64(0, 3, 'UTC')
                    AND dateDiff('millisecond', p.price_timestamp, t.block_timestamp) <= {staleness_ms:Int64}) AS priced,
            toString(sumIf(toDecimal256(t.amount_raw, 0) * toDecimal256(assumeNotNull(p.price_usd), 18),
                    p.price_timestamp != toDateTime64(0, 3, 'UTC')
                    AND dateDiff('millisecond', p.price_timestamp, t.block_timestamp) <= {staleness_ms:Int64})) AS usd_scaled
     FROM t
     ASOF LEFT JOIN p ON t.token_address = p.token_address AND t.block_timestamp >= p.price_timestamp
     LEFT JOIN (SELECT address, argMax(decimals, version) AS decimals FROM tokens GROUP BY address) AS tok ON tok.address = t.token_address
     GROUP BY date, token_address`,
    { chain: chainId, staleness_ms: stalenessS * 1000 },
  );
  const ohlc = await rows(
    client,
    `SELECT toString(toDate(price_timestamp)) AS date, token_address,
            toString(argMin(price_usd, price_timestamp)) AS price_open, toString(max(price_usd)) AS price_high,
            toString(min(price_usd)) AS price_low, toString(argMax(price_usd, price_timestamp)) AS price_close
     FROM prices_spot FINAL WHERE chain_id = {chain:UInt64} AND price_usd IS NOT NULL
     GROUP BY date, token_address`,
    { chain: chainId },
  );
  const pricedBy = new Map(priced.map((r) => [`${r.date}|${r.token_address}`, r]));
  const ohlcBy = new Map(ohlc.map((r) => [`${r.date}|${r.token_address}`, r]));
  return base.map((r) => {
    const p = pricedBy.get(`${r.date}|${r.token_address}`);
    const o = ohlcBy.get(`${r.date}|${r.token_address}`);
    const decimals = p === undefined || p.decimals === 'null' ? null : Number(p.decimals);
    const pricedCount = decimals === null || p === undefined ? 0 : Number(p.priced);
    const allPriced = decimals !== null && pricedCount === Number(r.transfer_count);
    return {
      ...r,
      priced_transfer_count: String(pricedCount),
      volume_usd: allPriced && p !== undefined && decimals !== null ? usd(p.usd_scaled as string, decimals) : 'null',
      price_open: normalDecimal(o?.price_open ?? 'null'),
      price_high: normalDecimal(o?.price_high ?? 'null'),
      price_low: normalDecimal(o?.price_low ?? 'null'),
      price_close: normalDecimal(o?.price_close ?? 'null'),
    };
  });
}

export async function streamedTokenMetrics(client: ClickHouseClient, chainId: number): Promise<MartRow[]> {
  const result = await rows(
    client,
    `SELECT toString(date) AS date, token_address, toString(volume_raw) AS volume_raw, toString(minted_raw) AS minted_raw,
            toString(burned_raw) AS burned_raw, transfer_count, tx_count, unique_addresses, priced_transfer_count,
            toString(volume_usd) AS volume_usd, toString(price_open) AS price_open, toString(price_high) AS price_high,
            toString(price_low) AS price_low, toString(price_close) AS price_close
     FROM token_metrics_daily FINAL WHERE chain_id = {chain:UInt64} ORDER BY date, token_address`,
    { chain: chainId },
  );
  return result.map((r) => ({
    ...r,
    volume_usd: r.volume_usd === 'null' ? 'null' : usd(r.volume_usd as string, 0),
    price_open: normalDecimal(r.price_open as string),
    price_high: normalDecimal(r.price_high as string),
    price_low: normalDecimal(r.price_low as string),
    price_close: normalDecimal(r.price_close as string),
  }));
}

export async function expectedAddressFlows(client: ClickHouseClient, chainId: number): Promise<MartRow[]> {
  return rows(
    client,
    `WITH t AS (SELECT * FROM erc20_transfers FINAL WHERE is_orphaned = 0 AND chain_id = {chain:UInt64}),
          legs AS (
            SELECT toString(toDate(block_timestamp)) AS date, token_address, tx_hash, amount_raw, block_hash, log_index,
                   arrayJoin([('out', from_address, to_address), ('in', to_address, from_address)]) AS leg,
                   leg.1 AS direction, leg.2 AS address, leg.3 AS counterparty
            FROM t)
     SELECT date, address, token_address,
            toString(sumIf(amount_raw, direction = 'in')) AS inflow_raw,
            toString(sumIf(amount_raw, direction = 'out')) AS outflow_raw,
            toString(toInt256(sumIf(amount_raw, direction = 'in')) - toInt256(sumIf(amount_raw, direction = 'out'))) AS net_flow_raw,
            count() AS transfer_count, uniqExact(tx_hash) AS tx_count, uniqExactIf(counterparty, counterparty != '${ZERO}') AS counterparties_count
     FROM legs
     WHERE address != '${ZERO}'
       AND (block_hash, log_index, address) NOT IN (
         SELECT block_hash, log_index, address FROM erc20_transfers_late WHERE processor = 'address-flows-daily' AND kind = 'transfer')
     GROUP BY date, address, token_address ORDER BY date, address, token_address`,
    { chain: chainId },
  );
}

export async function streamedAddressFlows(client: ClickHouseClient, chainId: number): Promise<MartRow[]> {
  return rows(
    client,
    `SELECT toString(date) AS date, address, token_address, toString(inflow_raw) AS inflow_raw, toString(outflow_raw) AS outflow_raw,
            toString(net_flow_raw) AS net_flow_raw, transfer_count, tx_count, counterparties_count
     FROM address_flows_daily FINAL WHERE chain_id = {chain:UInt64} ORDER BY date, address, token_address`,
    { chain: chainId },
  );
}
