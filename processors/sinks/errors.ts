import { NonRetryableError, RetryableError, type OraculErrorOptions } from '../../core/errors.ts';

/** ClickHouse could not take the batch now (down, overloaded, timeout): the sink pauses and retries. */
export class SinkInsertUnavailableError extends RetryableError {
  override readonly name = 'SinkInsertUnavailableError';
  constructor(message: string, options?: OraculErrorOptions) {
    super('ORACUL_SINK_INSERT_UNAVAILABLE', message, options);
  }
}

/** ClickHouse refused the rows themselves (parse / type / range error): retrying cannot help; the records are dead-lettered. */
export class SinkRowsRejectedError extends NonRetryableError {
  override readonly name = 'SinkRowsRejectedError';
  constructor(message: string, options?: OraculErrorOptions) {
    super('ORACUL_SINK_ROWS_REJECTED', message, options);
  }
}

/** A record decoded but its row mapping failed deterministically (toRows threw a non-retryable error or a bug). */
export class SinkMappingFailedError extends NonRetryableError {
  override readonly name = 'SinkMappingFailedError';
  constructor(message: string, options?: OraculErrorOptions) {
    super('ORACUL_SINK_MAPPING_FAILED', message, options);
  }
}

/** waitUntilCaughtUp gave up before the consumer group reached the end of the topic. */
export class SinkCatchUpTimeoutError extends RetryableError {
  override readonly name = 'SinkCatchUpTimeoutError';
  constructor(message: string, options?: OraculErrorOptions) {
    super('ORACUL_SINK_CATCH_UP_TIMEOUT', message, options);
  }
}

/** A declared sink column has a type the RowBinary encoder cannot write (a programming error, caught at sink creation). */
export class SinkColumnTypeUnsupportedError extends NonRetryableError {
  override readonly name = 'SinkColumnTypeUnsupportedError';
  constructor(message: string, options?: OraculErrorOptions) {
    super('ORACUL_SINK_COLUMN_TYPE_UNSUPPORTED', message, options);
  }
}

/**
 * The table's columns differ from the sink's declared RowBinary columns (missing column, other type,
 * a required column not declared). Retried: a pending migration may fix it; consumption waits meanwhile.
 */
export class SinkTableSchemaMismatchError extends RetryableError {
  override readonly name = 'SinkTableSchemaMismatchError';
  constructor(message: string, options?: OraculErrorOptions) {
    super('ORACUL_SINK_TABLE_SCHEMA_MISMATCH', message, options);
  }
}

/**
 * A decoded raw record has a field whose format its column must not hold (a hash that is not 32 bytes of
 * lowercase hex, an address that is not 20, odd-length data…). Retrying cannot help: the record is dead-lettered
 * with the field, a prefix of the value and the rule in `details`; the other records of the batch land.
 */
export class SinkRecordInvalidError extends NonRetryableError {
  override readonly name = 'SinkRecordInvalidError';
  constructor(message: string, options?: OraculErrorOptions) {
    super('ORACUL_SINK_RECORD_INVALID', message, options);
  }
}
