import type { ClickHouseClient } from '@clickhouse/client';
import type { BlockRecord, LogBatch, PriceTick, TransactionBatch } from '../../schemas/index.ts';
import type { SinkRow } from './clickhouse-sink.ts';
import { requireHex, requireHexOrNull, requireTopics, type FieldSite } from './raw-validate.ts';

/**
 * Row mappers of the raw sinks: Avro records of eth.*.raw / market.prices.raw → rows of
 * raw_blocks / raw_transactions / raw_logs / prices_spot (dwh/migrations/0001, 0002).
 *
 * - kind=block: one row per header / transaction / log, is_orphaned = 0, the record's version.
 * - kind=reorg: the orphaned block's rows again, keyed identically, with the retraction's
 *   (higher) version and is_orphaned = 1, so ReplacingMergeTree FINAL drops them. The
 *   retraction carries no payload, so the transaction and log keys of the orphaned block are
 *   read back from the table (the sink flushes its buffer before a retraction: `flushBefore`).
 * - kind=finalize: no rows.
 *
 * Hashes, addresses and hex data are checked on the way (raw-validate.ts): a record with a malformed one throws
 * SinkRecordInvalidError, which dead-letters the whole record (it is one Kafka record) and none of its rows.
 */

/** UTC epoch ms → 'YYYY-MM-DD hh:mm:ss.sss', what DateTime64(3, 'UTC') parses without guessing. */
export function chDateTime64(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23).replace('T', ' ');
}

export const isRetraction = (value: { kind: string }): boolean => value.kind === 'reorg';

type Envelope = Pick<BlockRecord, 'chain_id' | 'block_number' | 'block_hash'>;

/** The record's site for errors, after checking its block hash (every row of the record carries it). */
function checkedSite(table: string, record: Envelope, items?: 'transactions' | 'logs'): FieldSite {
  const site: FieldSite = { table, chainId: record.chain_id, blockNumber: record.block_number, ...(items ? { items } : {}) };
  requireHex(site, 'hash32', record.block_hash, 'block_hash');
  return site;
}

export function blockRows(record: BlockRecord): SinkRow[] {
  if (record.kind === 'finalize') return [];
  const site = checkedSite('raw_blocks', record);
  const base = {
    chain_id: record.chain_id,
    block_number: record.block_number,
    block_hash: record.block_hash,
    block_timestamp: chDateTime64(record.block_timestamp),
    version: record.version,
    observed_at: chDateTime64(record.observed_at),
  };
  if (record.kind === 'block') {
    const h = record.header;
    if (h === null) throw new TypeError(`eth.blocks.raw kind=block without a header (block ${record.block_number})`);
    requireHex(site, 'hash32', h.parent_hash, 'header.parent_hash');
    requireHex(site, 'address20', h.miner, 'header.miner');
    return [
      {
        ...base,
        parent_hash: h.parent_hash,
        miner: h.miner,
        gas_limit: h.gas_limit,
        gas_used: h.gas_used,
        base_fee_per_gas: h.base_fee_per_gas,
        size_bytes: h.size_bytes,
        transaction_count: h.transaction_count,
        log_count: h.log_count,
        blob_gas_used: h.blob_gas_used,
        excess_blob_gas: h.excess_blob_gas,
        is_orphaned: 0,
      },
    ];
  }
  if (record.kind === 'reorg') {
    return [
      {
        ...base,
        parent_hash: '',
        miner: '',
        gas_limit: 0,
        gas_used: 0,
        base_fee_per_gas: null,
        size_bytes: 0,
        transaction_count: 0,
        log_count: null,
        blob_gas_used: null,
        excess_blob_gas: null,
        is_orphaned: 1,
      },
    ];
  }
  return [];
}

export function transactionRows(record: TransactionBatch): SinkRow[] {
  if (record.kind !== 'block') return [];
  const site = checkedSite('raw_transactions', record, 'transactions');
  const blockTimestamp = chDateTime64(record.block_timestamp);
  const observedAt = chDateTime64(record.observed_at);
  return record.transactions.map((t, i) => {
    requireHex(site, 'hash32', t.tx_hash, 'tx_hash', i);
    requireHex(site, 'address20', t.from_address, 'from_address', i);
    requireHexOrNull(site, 'address20', t.to_address, 'to_address', i);
    requireHex(site, 'hex-data', t.input, 'input', i);
    requireHexOrNull(site, 'address20', t.contract_address, 'contract_address', i);
    return {
      chain_id: record.chain_id,
      block_number: record.block_number,
      block_hash: record.block_hash,
      block_timestamp: blockTimestamp,
      tx_index: t.tx_index,
      tx_hash: t.tx_hash,
      from_address: t.from_address,
      to_address: t.to_address,
      value: t.value,
      nonce: t.nonce,
      gas: t.gas,
      gas_price: t.gas_price,
      max_fee_per_gas: t.max_fee_per_gas,
      max_priority_fee_per_gas: t.max_priority_fee_per_gas,
      tx_type: t.tx_type,
      input: t.input,
      status: t.status,
      gas_used: t.gas_used,
      effective_gas_price: t.effective_gas_price,
      contract_address: t.contract_address,
      version: record.version,
      is_orphaned: 0,
      observed_at: observedAt,
    };
  });
}

export function logRows(record: LogBatch): SinkRow[] {
  if (record.kind !== 'block') return [];
  const site = checkedSite('raw_logs', record, 'logs');
  const blockTimestamp = chDateTime64(record.block_timestamp);
  const observedAt = chDateTime64(record.observed_at);
  return record.logs.map((l, i) => {
    requireHex(site, 'hash32', l.tx_hash, 'tx_hash', i);
    requireHex(site, 'address20', l.address, 'address', i);
    requireTopics(site, l.topics, i);
    requireHex(site, 'hex-data', l.data, 'data', i);
    return {
      chain_id: record.chain_id,
      block_number: record.block_number,
      block_hash: record.block_hash,
      block_timestamp: blockTimestamp,
      tx_index: l.tx_index,
      tx_hash: l.tx_hash,
      log_index: l.log_index,
      address: l.address,
      topics: l.topics,
      data: l.data,
      version: record.version,
      is_orphaned: 0,
      observed_at: observedAt,
    };
  });
}

type Retraction = Pick<
  TransactionBatch,
  'chain_id' | 'block_number' | 'block_hash' | 'block_timestamp' | 'version' | 'observed_at'
>;

/** Tombstones for every row of an orphaned block already in `table` (keys read back from ClickHouse). */
async function retractedRows(
  clickhouse: ClickHouseClient,
  table: string,
  indexColumn: 'tx_index' | 'log_index',
  record: Retraction,
): Promise<SinkRow[]> {
  checkedSite(table, record);
  const rs = await clickhouse.query({
    query: `SELECT DISTINCT ${indexColumn} AS i, tx_hash FROM ${table}
            WHERE chain_id = {chain:UInt64} AND block_number = {number:UInt64} AND block_hash = {hash:String}`,
    query_params: { chain: record.chain_id, number: record.block_number, hash: record.block_hash },
    format: 'JSONEachRow',
  });
  const keys = await rs.json<{ i: number; tx_hash: string }>();
  const blockTimestamp = chDateTime64(record.block_timestamp);
  const observedAt = chDateTime64(record.observed_at);
  return keys.map((k) => ({
    chain_id: record.chain_id,
    block_number: record.block_number,
    block_hash: record.block_hash,
    block_timestamp: blockTimestamp,
    [indexColumn]: Number(k.i),
    tx_hash: k.tx_hash,
    version: record.version,
    is_orphaned: 1,
    observed_at: observedAt,
  }));
}

export function transactionRowsWithRetractions(clickhouse: ClickHouseClient, table: string) {
  return async (record: TransactionBatch): Promise<SinkRow[]> =>
    record.kind === 'reorg' ? retractedRows(clickhouse, table, 'tx_index', record) : transactionRows(record);
}

export function logRowsWithRetractions(clickhouse: ClickHouseClient, table: string) {
  return async (record: LogBatch): Promise<SinkRow[]> =>
    record.kind === 'reorg' ? retractedRows(clickhouse, table, 'log_index', record) : logRows(record);
}

/** Decimal(38, 18) keeps 18 fractional digits: longer API decimals are truncated (never rounded up). */
export function toDecimal18(value: string): string {
  const match = /^(-?\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!match) throw new TypeError(`price ${JSON.stringify(value)} is not a decimal`);
  const fraction = (match[2] ?? '').slice(0, 18);
  return fraction ? `${match[1]}.${fraction}` : match[1]!;
}

export function priceRows(record: PriceTick): SinkRow[] {
  return [
    {
      chain_id: record.chain_id,
      token_address: record.token_address,
      coingecko_id: record.coingecko_id,
      symbol: record.symbol,
      price_usd: record.price_usd === null ? null : toDecimal18(record.price_usd),
      price_timestamp: chDateTime64(record.price_timestamp),
      source: record.source,
      fetched_at: chDateTime64(record.fetched_at),
    },
  ];
}
