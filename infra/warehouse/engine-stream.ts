import type { ChdbNative, NativeHandle, NativeStreamChunk } from './engine-binding.ts';
import { fromEngineError } from './errors.ts';

/** Counters for X-ClickHouse-Summary; what the engine does not report stays 0. */
export interface EngineStats {
  readRows: number;
  readBytes: number;
  writtenRows: number;
  writtenBytes: number;
  resultRows: number;
  resultBytes: number;
  elapsedNs: number;
}

export interface EngineResultStream {
  /** Chunks of formatted output; the first was fetched before this object was handed out. */
  readonly chunks: AsyncIterable<Buffer>;
  readonly stats: EngineStats;
  /** Stops the query and frees its connection (safe at any time, idempotent). */
  cancel(): void;
}

export function emptyStats(): EngineStats {
  return { readRows: 0, readBytes: 0, writtenRows: 0, writtenBytes: 0, resultRows: 0, resultBytes: 0, elapsedNs: 0 };
}

export interface NativeResultStreamParameters {
  native: Pick<ChdbNative, 'StreamFetch' | 'StreamCancel'>;
  handle: NativeHandle;
  /** The first chunk, already fetched; undefined when the result was empty. */
  first: NativeStreamChunk | undefined;
  /** Registers a native operation with the engine (so shutdown waits for it). */
  track: <T>(operation: Promise<T>) => Promise<T>;
  /** Called once, after the last native call on the handle; `completed` when read to its end. */
  onClosed: (completed: boolean) => void;
}

/**
 * A native result stream as an async iterable. Closing (end, error, break or
 * cancel) waits for a fetch still running on a pool thread before it cancels
 * the handle: destroying it under the worker would crash the engine.
 */
export function nativeResultStream(params: NativeResultStreamParameters): EngineResultStream {
  const { native, handle, first, track, onClosed } = params;
  const stats = emptyStats();
  const started = process.hrtime.bigint();
  let finished = false;
  let completed = first === undefined;
  let fetching: Promise<unknown> | undefined;
  const finish = () => {
    if (finished) return;
    finished = true;
    const teardown = () => {
      native.StreamCancel(handle);
      stats.elapsedNs = Number(process.hrtime.bigint() - started);
      onClosed(completed);
    };
    if (fetching) void fetching.then(teardown, teardown);
    else teardown();
  };
  const count = (chunk: NativeStreamChunk) => {
    stats.resultRows += chunk.numRows;
    stats.resultBytes += chunk.bytes.length;
  };
  if (first) count(first);
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      if (!first) return;
      yield first.bytes;
      while (!finished) {
        const pending = track(native.StreamFetch(handle));
        fetching = pending;
        let chunk: NativeStreamChunk;
        try {
          chunk = await pending;
        } catch (error) {
          throw fromEngineError(error);
        } finally {
          fetching = undefined;
        }
        if (chunk.done) {
          completed = true;
          return;
        }
        count(chunk);
        yield chunk.bytes;
      }
    } finally {
      finish();
    }
  }
  return { chunks: chunks(), stats, cancel: finish };
}

/** A whole result already in memory, shaped as a stream. */
export function bufferedResultStream(bytes: Buffer, stats: EngineStats): EngineResultStream {
  async function* chunks(): AsyncGenerator<Buffer> {
    if (bytes.length > 0) yield bytes;
  }
  return { chunks: chunks(), stats, cancel: () => {} };
}
