import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import type { Readable } from 'node:stream';
import type { RowSet } from '../sink-types.ts';
import { rowSetStream, type RowBinaryStreamOptions } from './row-binary-stream.ts';
import type { RowEncoder } from './row-encoder.ts';

export interface InsertRowBinaryOptions extends RowBinaryStreamOptions {
  settings?: ClickHouseSettings;
  signal?: AbortSignal;
}

/**
 * One `INSERT INTO t (cols) FORMAT RowBinary` of the row sets, whose body is encoded while it is sent. Resolves once
 * the server acknowledged the insert. If a row cannot be encoded, the request is cut before its end
 * (the server never sees a complete body, so nothing of it is inserted) and the encoder's
 * SinkRowsRejectedError is thrown rather than the client's broken-request error.
 */
export async function insertRowBinary(
  clickhouse: ClickHouseClient,
  encoder: RowEncoder,
  sets: readonly RowSet[],
  options: InsertRowBinaryOptions = {},
): Promise<void> {
  const body = rowSetStream(encoder, sets, options);
  let encodeError: unknown;
  body.once('error', (error) => {
    encodeError = error;
  });
  try {
    const result = await clickhouse.exec({
      query: encoder.insertStatement,
      values: body,
      ...(options.settings ? { clickhouse_settings: options.settings } : {}),
      ...(options.signal ? { abort_signal: options.signal } : {}),
    });
    await drain(result.stream);
  } catch (error) {
    throw encodeError ?? error;
  } finally {
    if (!body.destroyed) body.destroy();
  }
  if (encodeError !== undefined) throw encodeError;
}

/** Reads the (empty) response to its end so the keep-alive socket goes back to the pool. */
async function drain(stream: Readable): Promise<void> {
  for await (const chunk of stream) void chunk;
}
