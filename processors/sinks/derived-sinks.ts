import type { ClickHouseClient } from '@clickhouse/client';
import type { Kafka } from 'kafkajs';
import type { Common } from '../../core/common.ts';
import { isoDayOfEpochDay } from '../../core/time.ts';
import type {
  AddressFlowsDaily,
  LateTransfer,
  TokenMetadata,
  TokenMetricsDaily,
  Transfer,
  TransferReject,
} from '../../schemas/generated/types.ts';
import type { Serdes } from '../../schemas/index.ts';
import { createClickHouseSink, type ClickHouseSink, type SinkBatchOptions, type SinkRow } from './clickhouse-sink.ts';
import { chDateTime64 } from './raw-rows.ts';
import { anomalyRow } from '../anomalies/rows.ts';

/**
 * Sinks of the derived layers: ERC-20 transfers, rejects, late transfers, token metadata and the daily marts.
 * Rows are the Avro records with ClickHouse types (DateTime64 text, `Date` from the epoch day); a retraction
 * becomes the same row with its higher version and `is_orphaned = 1`, so FINAL reads hide the orphan.
 */

export function transferRow(t: Transfer): SinkRow {
  return {
    chain_id: t.chain_id,
    block_number: t.block_number,
    block_hash: t.block_hash,
    block_timestamp: chDateTime64(t.block_timestamp),
    tx_hash: t.tx_hash,
    tx_index: t.tx_index,
    log_index: t.log_index,
    token_address: t.token_address,
    from_address: t.from_address,
    to_address: t.to_address,
    amount_raw: t.amount_raw,
    amount_decimal: t.amount_decimal,
    decimals: t.decimals,
    symbol: t.symbol,
    is_mint: t.is_mint,
    is_burn: t.is_burn,
    form: t.form,
    version: t.version,
    is_orphaned: t.kind === 'retraction' ? 1 : 0,
  };
}

export function rejectRow(r: TransferReject): SinkRow {
  return {
    chain_id: r.chain_id,
    block_number: r.block_number,
    block_hash: r.block_hash,
    block_timestamp: chDateTime64(r.block_timestamp),
    tx_hash: r.tx_hash,
    tx_index: r.tx_index,
    log_index: r.log_index,
    token_address: r.token_address,
    reason: r.reason,
    topics: r.topics,
    data: r.data,
    version: r.version,
    is_orphaned: r.kind === 'retraction' ? 1 : 0,
  };
}

export function lateRow(l: LateTransfer): SinkRow {
  const t = l.transfer;
  return {
    processor: l.processor,
    address: l.address ?? '',
    chain_id: t.chain_id,
    token_address: t.token_address,
    block_number: t.block_number,
    block_hash: t.block_hash,
    log_index: t.log_index,
    tx_hash: t.tx_hash,
    block_timestamp: chDateTime64(t.block_timestamp),
    kind: t.kind,
    from_address: t.from_address,
    to_address: t.to_address,
    amount_raw: t.amount_raw,
    window_start: chDateTime64(l.window_start),
    watermark: chDateTime64(Math.max(0, l.watermark)),
    detected_at: chDateTime64(Math.max(0, l.detected_at)),
  };
}

export function tokenRow(t: TokenMetadata): SinkRow {
  return {
    chain_id: t.chain_id,
    address: t.address.toLowerCase(),
    symbol: t.symbol,
    name: t.name,
    decimals: t.decimals,
    source: t.source,
    symbol_encoding: t.symbol_encoding,
    updated_at: chDateTime64(t.fetched_at),
    version: t.version,
  };
}

export function tokenMetricsRow(m: TokenMetricsDaily): SinkRow {
  return { ...m, date: isoDayOfEpochDay(m.date), emitted_at: chDateTime64(m.emitted_at) };
}

export function addressFlowsRow(f: AddressFlowsDaily): SinkRow {
  return { ...f, date: isoDayOfEpochDay(f.date), emitted_at: chDateTime64(f.emitted_at) };
}

export interface CreateDerivedSinksParameters {
  serdes: Serdes;
  batch?: SinkBatchOptions;
  groupPrefix?: string;
  kafka?: Kafka;
  clickhouse?: ClickHouseClient;
}

/** erc20.transfers, erc20.rejects, erc20.transfers.late, erc20.tokens, token.metrics.daily, address.flows.daily, anomalies → tables. */
export function createDerivedSinks(common: Common, params: CreateDerivedSinksParameters): ClickHouseSink[] {
  const prefix = params.groupPrefix ?? `${common.config.kafka.clientId}-sink`;
  const shared = {
    serdes: params.serdes,
    kafka: params.kafka,
    clickhouse: params.clickhouse,
    ...(params.batch ? { batch: params.batch } : {}),
  };
  return [
    createClickHouseSink(common, {
      ...shared,
      topic: 'erc20.transfers',
      table: 'erc20_transfers',
      groupId: `${prefix}-erc20_transfers`,
      toRows: (v) => [transferRow(v)],
    }),
    createClickHouseSink(common, {
      ...shared,
      topic: 'erc20.rejects',
      table: 'erc20_rejects',
      groupId: `${prefix}-erc20_rejects`,
      toRows: (v) => [rejectRow(v)],
    }),
    createClickHouseSink(common, {
      ...shared,
      topic: 'erc20.transfers.late',
      table: 'erc20_transfers_late',
      groupId: `${prefix}-erc20_transfers_late`,
      toRows: (v) => [lateRow(v)],
    }),
    createClickHouseSink(common, {
      ...shared,
      topic: 'erc20.tokens',
      table: 'tokens',
      groupId: `${prefix}-tokens`,
      toRows: (v) => [tokenRow(v)],
    }),
    createClickHouseSink(common, {
      ...shared,
      topic: 'token.metrics.daily',
      table: 'token_metrics_daily',
      groupId: `${prefix}-token_metrics_daily`,
      toRows: (v) => [tokenMetricsRow(v)],
    }),
    createClickHouseSink(common, {
      ...shared,
      topic: 'anomalies',
      table: 'anomalies',
      groupId: `${prefix}-anomalies`,
      toRows: (v) => [anomalyRow(v)],
    }),
    createClickHouseSink(common, {
      ...shared,
      topic: 'address.flows.daily',
      table: 'address_flows_daily',
      groupId: `${prefix}-address_flows_daily`,
      toRows: (v) => [addressFlowsRow(v)],
    }),
  ];
}
