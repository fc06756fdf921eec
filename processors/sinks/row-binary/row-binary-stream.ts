import { Readable } from 'node:stream';
import { EncodedRows, type RowSet } from '../sink-types.ts';
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
  return rowSetStream(encoder, [rows], options);
}

/**
 * The same for a batch of row sets, in order: row objects are encoded as above, rows already encoded
 * (EncodedRows) are sent as they are, neighbours that sit back to back in one allocation as one chunk.
 */
export function rowSetStream(
  encoder: RowEncoder,
  sets: readonly (RowSet | readonly Record<string, unknown>[])[],
  options: RowBinaryStreamOptions = {},
): Readable {
  const chunkRows = Math.max(1, options.chunkRows ?? 2_000);
  let set = 0;
  let row = 0;
  let writer: BinaryWriter | undefined;

  /** The encoded sets from `set` on that are contiguous in memory, as one view (no copy). */
  const encodedRun = (): Buffer => {
    const first = (sets[set] as EncodedRows).rowBinary;
    let end = first.byteOffset + first.length;
    set += 1;
    for (let next = sets[set]; next instanceof EncodedRows; next = sets[set]) {
      const b = next.rowBinary;
      if (b.buffer !== first.buffer || b.byteOffset !== end) break;
      end += b.length;
      set += 1;
    }
    return Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset);
  };

  /** Up to `chunkRows` row objects from `set`/`row` on, across sets, stopping before an encoded set. */
  const encodeChunk = (): Buffer => {
    writer ??= new BinaryWriter(256 * 1024);
    let budget = chunkRows;
    while (budget > 0 && set < sets.length && !(sets[set] instanceof EncodedRows)) {
      const rows = sets[set] as readonly Record<string, unknown>[];
      const to = Math.min(rows.length, row + budget);
      encoder.encode(writer, rows, row, to);
      budget -= to - row;
      row = to;
      if (row >= rows.length) {
        set += 1;
        row = 0;
      }
    }
    return writer.take();
  };

  return new Readable({
    highWaterMark: options.highWaterMark ?? 4 * 1024 * 1024,
    read() {
      // One chunk per call: Readable calls read() again while it is below highWaterMark. Empty sets give empty
      // chunks, which are skipped (an empty push would end the read loop).
      try {
        while (set < sets.length) {
          const chunk = sets[set] instanceof EncodedRows ? encodedRun() : encodeChunk();
          if (chunk.length > 0) {
            this.push(chunk);
            return;
          }
        }
      } catch (error) {
        this.destroy(error as Error);
        return;
      }
      this.push(null);
    },
  });
}
