import { ClickHouseError } from '@clickhouse/client';
import { OraculError } from '../../core/errors.ts';
import { SinkInsertUnavailableError, SinkRowsRejectedError } from './errors.ts';

/**
 * ClickHouse exception codes that blame the inserted data itself: the same rows
 * fail every time, so the sink isolates and dead-letters the records that carry them.
 * Everything else (network, 5xx, timeouts, TOO_MANY_PARTS, memory, unknown table,
 * auth) is treated as "ClickHouse cannot take it now": pause and retry.
 */
const DATA_ERROR_CODES = new Set([
  '6', // CANNOT_PARSE_TEXT
  '26', // CANNOT_PARSE_QUOTED_STRING
  '27', // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  '32', // ATTEMPT_TO_READ_AFTER_EOF
  '38', // CANNOT_PARSE_DATE
  '41', // CANNOT_PARSE_DATETIME
  '53', // TYPE_MISMATCH
  '69', // ARGUMENT_OUT_OF_BOUND
  '70', // CANNOT_CONVERT_TYPE
  '72', // CANNOT_PARSE_NUMBER
  '117', // INCORRECT_DATA
  '131', // TOO_LARGE_STRING_SIZE
  '321', // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  '349', // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
  '407', // DECIMAL_OVERFLOW
  '691', // UNKNOWN_ELEMENT_OF_ENUM
]);

/** One typed error per insert failure; `details` carries the table and ClickHouse code. */
export function classifyInsertError(error: unknown, table: string): OraculError {
  if (error instanceof OraculError) return error;
  const message = error instanceof Error ? error.message.split('\n')[0]!.slice(0, 500) : String(error);
  if (error instanceof ClickHouseError) {
    const details = { table, clickhouse_code: error.code, clickhouse_type: error.type };
    if (DATA_ERROR_CODES.has(error.code)) {
      return new SinkRowsRejectedError(`ClickHouse rejected rows for ${table}: ${message}`, { details });
    }
    return new SinkInsertUnavailableError(`ClickHouse insert into ${table} failed: ${message}`, { details });
  }
  const code = (error as { code?: unknown } | undefined)?.code;
  return new SinkInsertUnavailableError(`ClickHouse insert into ${table} failed: ${message}`, {
    details: { table, ...(typeof code === 'string' ? { error_code: code } : {}) },
  });
}
