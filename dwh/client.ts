import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import type { OraculConfig } from '../config/schema.ts';

export type WarehouseRole = 'writer' | 'readonly';

export interface CreateWarehouseClientParameters {
  config: Pick<OraculConfig, 'clickhouse'>;
  /** `readonly` for the gateway and BI: the server enforces readonly=1 for that user. */
  role?: WarehouseRole;
  /** Connect without selecting the database (migrations create it). */
  withoutDatabase?: boolean;
}

/**
 * How application code reaches ClickHouse: @clickhouse/client with a URL, so the embedded engine endpoint and a real
 * server or cluster are interchangeable. One exception, over the same HTTP interface, user and settings: the
 * gateway's two day-range statements go over its own keep-alive connections (gateway/text-statements.ts, ADR 0020).
 */
export function createWarehouseClient(params: CreateWarehouseClientParameters): ClickHouseClient {
  const { clickhouse } = params.config;
  const readonly = params.role === 'readonly';
  return createClient({
    url: clickhouse.url,
    username: readonly ? clickhouse.readonlyUsername : clickhouse.username,
    password: readonly ? clickhouse.readonlyPassword : clickhouse.password,
    ...(params.withoutDatabase ? {} : { database: clickhouse.database }),
    request_timeout: clickhouse.requestTimeoutMs,
    application: 'oracul',
    // Every failure is thrown to the caller, which logs it once with context (pino); the
    // client's own multi-line stderr dump of the same error would only duplicate it.
    log: { level: ClickHouseLogLevel.OFF },
    clickhouse_settings: {
      // uint256 and (U)Int64 values stay strings in JSON, never lossy JS numbers.
      output_format_json_quote_64bit_integers: 1,
      date_time_input_format: 'best_effort',
    },
  });
}
