/** Public API of the ClickHouse sinks. Named re-exports only. */
export {
  createClickHouseSink,
  runSinkUntilCaughtUp,
  type ClickHouseSink,
  type CreateClickHouseSinkOptions,
  type SinkBatchOptions,
  type SinkFlushInfo,
  type SinkRecordMeta,
  type SinkRow,
  type SinkStats,
} from './clickhouse-sink.ts';
export { createRawChainSinks, createPricesSink, type CreateRawSinksParameters } from './raw-sinks.ts';
export {
  createDeadLettersSink,
  deadLetterRow,
  DEAD_LETTER_TOPICS,
  DEAD_LETTERS_TABLE,
  type CreateDeadLettersSinkParameters,
} from './dead-letters-sink.ts';
export {
  blockRows,
  transactionRows,
  logRows,
  priceRows,
  chDateTime64,
  toDecimal18,
  isRetraction,
  transactionRowsWithRetractions,
  logRowsWithRetractions,
} from './raw-rows.ts';
export { classifyInsertError } from './classify-insert-error.ts';
export {
  SinkCatchUpTimeoutError,
  SinkInsertUnavailableError,
  SinkMappingFailedError,
  SinkRecordInvalidError,
  SinkRowsRejectedError,
} from './errors.ts';
