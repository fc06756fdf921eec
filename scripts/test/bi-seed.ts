import type { ClickHouseClient } from '@clickhouse/client';
import { DAY_MS } from '../../core/time.ts';
import type { AddressFlowsDaily } from '../../processors/aggregates/address-flows-daily.ts';
import type { TokenMetricsDaily } from '../../processors/aggregates/token-metrics-daily.ts';
import type { Erc20Transfer } from '../../processors/erc20/transfer.ts';
import { deadLetterRow, DEAD_LETTERS_TABLE } from '../../processors/sinks/dead-letters-sink.ts';
import type { DeadLetter } from '../../schemas/index.ts';
import { DEMO_TOKENS, type DemoDataset } from './bi-dataset.ts';

/**
 * Writes a generated dataset (bi-dataset.ts) into the warehouse tables with the writer client, row shapes as in
 * dwh/migrations (JSONEachRow: uint256 as decimal strings, DateTime64(3) as epoch ms). Every emitted version is
 * inserted, so the tables hold superseded and deleted versions exactly like a live pipeline's would.
 */
export interface SeedCounts {
  transfers: number;
  prices: number;
  tokenMetrics: number;
  addressFlows: number;
  anomalies: number;
  checks: number;
  deadLetters: number;
}

const decimalsOf = new Map(DEMO_TOKENS.map((t) => [t.address, t.decimals]));

function transferRow(t: Erc20Transfer, version: number): Record<string, unknown> {
  return {
    chain_id: t.chain_id,
    block_number: t.block_number,
    block_hash: t.block_hash,
    block_timestamp: t.block_timestamp,
    tx_hash: t.tx_hash,
    tx_index: t.tx_index,
    log_index: t.log_index,
    token_address: t.token_address,
    from_address: t.from_address,
    to_address: t.to_address,
    amount_raw: t.amount_raw.toString(),
    amount_decimal: t.amount_decimal,
    decimals: t.decimals,
    symbol: t.symbol,
    is_mint: t.is_mint,
    is_burn: t.is_burn,
    form: t.form,
    version,
    is_orphaned: t.kind === 'retraction' ? 1 : 0,
  };
}

function tokenMetricsRow(r: TokenMetricsDaily): Record<string, unknown> {
  return {
    date: r.date,
    chain_id: r.chain_id,
    token_address: r.token_address,
    symbol: r.symbol,
    decimals: decimalsOf.get(r.token_address) ?? null,
    volume_raw: r.volume_raw.toString(),
    volume_usd: r.volume_usd,
    minted_raw: r.minted_raw.toString(),
    burned_raw: r.burned_raw.toString(),
    transfer_count: r.transfer_count,
    priced_transfer_count: r.transfer_count - r.unpriced_transfer_count,
    tx_count: r.tx_count,
    unique_addresses: r.unique_addresses,
    price_open: r.price_open,
    price_high: r.price_high,
    price_low: r.price_low,
    price_close: r.price_close,
    price_source: r.price_source,
    price_staleness_ms: r.price_staleness_s === null ? null : r.price_staleness_s * 1000,
    version: r.version,
    is_final: r.is_final,
    emitted_at: r.window_start + (r.is_final ? DAY_MS : 0),
  };
}

function addressFlowsRow(r: AddressFlowsDaily): Record<string, unknown> {
  return {
    date: r.date,
    chain_id: r.chain_id,
    address: r.address,
    token_address: r.token_address,
    symbol: r.symbol,
    inflow_raw: r.inflow_raw.toString(),
    outflow_raw: r.outflow_raw.toString(),
    net_flow_raw: r.net_flow_raw.toString(),
    inflow_usd: r.inflow_usd,
    outflow_usd: r.outflow_usd,
    net_flow_usd: r.net_flow_usd,
    transfer_count: r.transfer_count,
    tx_count: r.tx_count,
    counterparties_count: r.counterparties_count,
    version: r.version,
    is_final: r.is_final,
    emitted_at: r.window_start + (r.is_final ? DAY_MS : 0),
  };
}

async function insert(client: ClickHouseClient, table: string, values: Record<string, unknown>[]): Promise<number> {
  const batch = 20_000;
  for (let i = 0; i < values.length; i += batch) {
    await client.insert({ table, values: values.slice(i, i + batch), format: 'JSONEachRow' });
  }
  return values.length;
}

/**
 * With the dead-letters sink's own row mapping (base64 bytes, DateTime64 text), one insert per record: a replay or
 * a retry reaches the sink in a later batch, and one insert would collapse duplicate keys before FINAL sees them.
 */
async function insertDeadLetters(client: ClickHouseClient, letters: readonly DeadLetter[]): Promise<number> {
  for (const letter of letters) await insert(client, DEAD_LETTERS_TABLE, [deadLetterRow(letter)]);
  return letters.length;
}

export async function seedWarehouse(client: ClickHouseClient, data: DemoDataset): Promise<SeedCounts> {
  // A transfer's first record has version 1; its retraction the reorg's higher version 2 (is_orphaned = 1).
  const transfers = data.transfers.map((t) => transferRow(t, t.kind === 'retraction' ? 2 : 1));
  return {
    transfers: await insert(client, 'erc20_transfers', transfers),
    prices: await insert(
      client,
      'prices_spot',
      data.prices.map((p) => ({
        chain_id: p.chain_id,
        token_address: p.token_address,
        coingecko_id: DEMO_TOKENS.find((t) => t.address === p.token_address)?.symbol.toLowerCase() ?? '',
        symbol: DEMO_TOKENS.find((t) => t.address === p.token_address)?.symbol ?? '',
        price_usd: p.price_usd,
        price_timestamp: p.timestamp * 1000,
        source: p.source,
        fetched_at: p.timestamp * 1000 + 20_000,
      })),
    ),
    tokenMetrics: await insert(client, 'token_metrics_daily', data.tokenMetrics.map(tokenMetricsRow)),
    addressFlows: await insert(client, 'address_flows_daily', data.addressFlows.map(addressFlowsRow)),
    anomalies: await insert(client, 'anomalies', data.anomalies as unknown as Record<string, unknown>[]),
    checks: await insert(client, 'data_quality_checks', data.checks as unknown as Record<string, unknown>[]),
    deadLetters: await insertDeadLetters(client, data.deadLetters),
  };
}
