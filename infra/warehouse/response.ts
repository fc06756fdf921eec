import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { createBrotliCompress, createDeflate, createGzip, type ZlibOptions } from 'node:zlib';
import type { Transform } from 'node:stream';
import type { EngineStats } from './engine.ts';

export type ResponseEncoding = 'gzip' | 'deflate' | 'br';

/**
 * The response encoding for a request: only when the client enabled
 * `enable_http_compression` (as on the server) and accepts one we produce.
 */
export function chooseEncoding(acceptEncoding: string | undefined, enabled: boolean): ResponseEncoding | undefined {
  if (!enabled || acceptEncoding === undefined) return undefined;
  const accepted = new Set(
    acceptEncoding
      .split(',')
      .map((part) => part.trim().toLowerCase())
      .filter((part) => !/;\s*q=0(\.0*)?$/.test(part))
      .map((part) => part.split(';')[0]?.trim() ?? ''),
  );
  for (const encoding of ['gzip', 'deflate', 'br'] as const) if (accepted.has(encoding)) return encoding;
  return undefined;
}

export function createCompressor(encoding: ResponseEncoding, level: number | undefined): Transform {
  const options: ZlibOptions = level === undefined ? {} : { level };
  if (encoding === 'gzip') return createGzip(options);
  if (encoding === 'deflate') return createDeflate(options);
  return createBrotliCompress();
}

/** Content-Type the server sends for an output format. */
export function contentTypeFor(format: string): string {
  const f = format.toLowerCase();
  if (f.startsWith('json') || f === 'ndjson' || f === 'jsonl') return 'application/json; charset=UTF-8';
  if (f.startsWith('tabseparated') || f.startsWith('tsv')) return 'text/tab-separated-values; charset=UTF-8';
  if (f.startsWith('csv')) return `text/csv; charset=UTF-8; header=${f.includes('withnames') ? 'present' : 'absent'}`;
  if (f === 'xml') return 'application/xml; charset=UTF-8';
  if (/^(native|rowbinary|parquet|arrow|orc|avro|msgpack|protobuf|capnproto|bson|npy|rawblob|lineasstring)/.test(f)) {
    return f === 'lineasstring' ? 'text/plain; charset=UTF-8' : 'application/octet-stream';
  }
  return 'text/plain; charset=UTF-8';
}

/** X-ClickHouse-Summary: every counter as a decimal string, like the server. */
export function summaryHeader(stats: EngineStats): string {
  return JSON.stringify({
    read_rows: String(stats.readRows),
    read_bytes: String(stats.readBytes),
    written_rows: String(stats.writtenRows),
    written_bytes: String(stats.writtenBytes),
    total_rows_to_read: '0',
    result_rows: String(stats.resultRows),
    result_bytes: String(stats.resultBytes),
    elapsed_ns: String(stats.elapsedNs),
  });
}

export function newExceptionTag(): string {
  return randomBytes(12)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, 'x');
}

/**
 * What the server appends when a query fails after output has started (25.11+
 * protocol, announced by X-ClickHouse-Exception-Tag): clients that know the tag
 * raise the exception; the connection is then broken so others see a failure too.
 */
export function midStreamException(tag: string, body: string): Buffer {
  const message = body.endsWith('\n') ? body.slice(0, -1) : body;
  const length = Buffer.byteLength(message) + 1;
  return Buffer.from(`\r\n__exception__\r\n${tag}\r\n${message}\n${length} ${tag}\r\n__exception__\r\n`);
}

/** Writes and waits until the socket took it (or the client went away). */
export function writeAndFlush(response: ServerResponse, data: Buffer | string): Promise<void> {
  return new Promise((resolve) => {
    if (response.destroyed) {
      resolve();
      return;
    }
    response.write(data, () => resolve());
  });
}
