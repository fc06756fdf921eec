import type { ClickHouseClient } from '@clickhouse/client';
import type { Kafka } from 'kafkajs';
import type { Common } from '../../core/common.ts';
import { createWarehouseClient } from '../../dwh/client.ts';
import type { Serdes } from '../../schemas/index.ts';
import { createClickHouseSink, type ClickHouseSink, type SinkBatchOptions } from './clickhouse-sink.ts';
import { blockRows, isRetraction, logRowsWithRetractions, priceRows, transactionRowsWithRetractions } from './raw-rows.ts';

export interface CreateRawSinksParameters {
  serdes: Serdes;
  batch?: SinkBatchOptions;
  /** Prefix of the consumer groups (default `<kafka.clientId>-sink`): group `<prefix>-<table>`. */
  groupPrefix?: string;
  kafka?: Kafka;
  /** Shared by the sinks; closed by the caller when given (else the sinks close their own). */
  clickhouse?: ClickHouseClient;
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
      toRows: blockRows,
    }),
    createClickHouseSink(common, {
      ...shared,
      clickhouse: txClient,
      ownsClickHouse: params.clickhouse === undefined,
      topic: 'eth.transactions.raw',
      table: 'raw_transactions',
      groupId: `${prefix}-raw_transactions`,
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
    toRows: priceRows,
  });
}
