import { Readable } from 'node:stream';
import { BinaryWriter } from './binary-writer.ts';
import type { RowEncoder } from './row-encoder.ts';

export interface RowBinaryStreamOptions {
  /** Rows encoded per chunk (default 2 000: ~1 MiB of raw_logs, one event-loop slice of ~1–2 ms). */
  chunkRows?: number;
  /** Bytes the stream buffers ahead of the socket (default 4 MiB). */
  highWaterMark?: number;
}

/**
 * The rows as a RowBinary byte stream, encoded chunk by chunk as the HTTP request drains it: at most
 * about `highWaterMark` + one chunk of bytes exist at a time, and the event loop is given back between
 * chunks (Kafka heartbeats, timers). An encoding error destroys the stream with that error.
 */
export function rowBinaryStream(
  encoder: RowEncoder,
  rows: readonly Record<string, unknown>[],
  options: RowBinaryStreamOptions = {},
): Readable {
  const chunkRows = Math.max(1, options.chunkRows ?? 2_000);
  let next = 0;
  let writer: BinaryWriter | undefined;
  return new Readable({
    highWaterMark: options.highWaterMark ?? 4 * 1024 * 1024,
    read() {
      // One chunk per call: Readable calls read() again while it is below highWaterMark.
      if (next >= rows.length) {
        this.push(null);
        return;
      }
      const to = Math.min(rows.length, next + chunkRows);
      try {
        writer ??= new BinaryWriter(256 * 1024);
        encoder.encode(writer, rows, next, to);
      } catch (error) {
        this.destroy(error as Error);
        return;
      }
      next = to;
      this.push(writer.take());
    },
  });
}
