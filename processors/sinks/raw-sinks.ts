import type { ClickHouseClient } from '@clickhouse/client';
import type { Kafka } from 'kafkajs';
import type { Common } from '../../core/common.ts';
import { createWarehouseClient } from '../../dwh/client.ts';
import type { Serdes } from '../../schemas/index.ts';
import { createClickHouseSink, type ClickHouseSink, type SinkBatchOptions } from './clickhouse-sink.ts';
import type { SinkColumn } from './row-binary/row-encoder.ts';
import type { RecordTranscoder } from './sink-types.ts';
import { createBlocksTranscoder, createLogsTranscoder, createTransactionsTranscoder } from './transcode/raw-transcoders.ts';
import { PRICES_SPOT_COLUMNS, RAW_BLOCKS_COLUMNS, RAW_LOGS_COLUMNS, RAW_TRANSACTIONS_COLUMNS } from './raw-columns.ts';
import { blockRows, isRetraction, logRowsWithRetractions, priceRows, transactionRowsWithRetractions } from './raw-rows.ts';

export interface CreateRawSinksParameters {
  serdes: Serdes;
  batch?: SinkBatchOptions;
  /** `JSONEachRow` sends the rows as JSON instead of RowBinary (the comparison of scripts/bench/sinks.ts). */
  insertFormat?: 'RowBinary' | 'JSONEachRow';
  /**
   * RowBinary straight from the Avro bytes for plain block records (default true); false maps every record to row
   * objects first (the comparison of scripts/bench/sinks.ts).
   */
  transcode?: boolean;
  /** Prefix of the consumer groups (default `<kafka.clientId>-sink`): group `<prefix>-<table>`. */
  groupPrefix?: string;
  kafka?: Kafka;
  /** Shared by the sinks; closed by the caller when given (else the sinks close their own). */
  clickhouse?: ClickHouseClient;
}

/**
 * RowBinary with the declared columns unless the caller asked for the JSON comparison path; with a transcoder, the
 * records of a plain block go from Avro bytes to RowBinary without row objects (ADR 0015).
 */
function binary(
  params: CreateRawSinksParameters,
  columns: readonly SinkColumn[],
  transcoder?: RecordTranscoder,
): { rowBinary?: { columns: readonly SinkColumn[]; transcoder?: RecordTranscoder } } {
  if (params.insertFormat === 'JSONEachRow') return {};
  return { rowBinary: { columns, ...(transcoder && params.transcode !== false ? { transcoder } : {}) } };
}

/** The sinks of raw chain data: eth.blocks.raw → raw_blocks, eth.transactions.raw → raw_transactions, eth.logs.raw → raw_logs. */
export function createRawChainSinks(common: Common, params: CreateRawSinksParameters): ClickHouseSink[] {
  const prefix = params.groupPrefix ?? `${common.config.kafka.clientId}-sink`;
  const shared = { serdes: params.serdes, kafka: params.kafka, ...(params.batch ? { batch: params.batch } : {}) };
  // Retractions read the orphaned rows back: give those sinks a client even when none was passed.
  const lookup = (): ClickHouseClient => params.clickhouse ?? createWarehouseClient({ config: common.config });
  const txClient = lookup();
  const logClient = lookup();
  return [
    createClickHouseSink(common, {
      ...shared,
      clickhouse: params.clickhouse,
      topic: 'eth.blocks.raw',
      table: 'raw_blocks',
      groupId: `${prefix}-raw_blocks`,
      ...binary(params, RAW_BLOCKS_COLUMNS, createBlocksTranscoder()),
      toRows: blockRows,
    }),
    createClickHouseSink(common, {
      ...shared,
      clickhouse: txClient,
      ownsClickHouse: params.clickhouse === undefined,
      topic: 'eth.transactions.raw',
      table: 'raw_transactions',
      groupId: `${prefix}-raw_transactions`,
      ...binary(params, RAW_TRANSACTIONS_COLUMNS, createTransactionsTranscoder()),
      flushBefore: isRetraction,
      toRows: transactionRowsWithRetractions(txClient, 'raw_transactions'),
    }),
    createClickHouseSink(common, {
      ...shared,
      clickhouse: logClient,
      ownsClickHouse: params.clickhouse === undefined,
      topic: 'eth.logs.raw',
      table: 'raw_logs',
      groupId: `${prefix}-raw_logs`,
      ...binary(params, RAW_LOGS_COLUMNS, createLogsTranscoder()),
      flushBefore: isRetraction,
      toRows: logRowsWithRetractions(logClient, 'raw_logs'),
    }),
  ];
}

/** market.prices.raw → prices_spot. */
export function createPricesSink(common: Common, params: CreateRawSinksParameters): ClickHouseSink {
  return createClickHouseSink(common, {
    serdes: params.serdes,
    kafka: params.kafka,
    clickhouse: params.clickhouse,
    ...(params.batch ? { batch: params.batch } : {}),
    topic: 'market.prices.raw',
    table: 'prices_spot',
    groupId: `${params.groupPrefix ?? `${common.config.kafka.clientId}-sink`}-prices_spot`,
    ...binary(params, PRICES_SPOT_COLUMNS),
    toRows: priceRows,
  });
}
