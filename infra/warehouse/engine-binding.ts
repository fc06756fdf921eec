import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { NonRetryableError } from '../../core/errors.ts';

/** Opaque native handles (a connection, a result stream). */
export type NativeHandle = { readonly __nativeHandle: unique symbol };

export interface NativeQueryResult {
  readonly bytes: Buffer;
  readonly elapsed: number;
  readonly rowsRead: number;
  readonly bytesRead: number;
}

export interface NativeStreamChunk {
  readonly done: boolean;
  readonly bytes: Buffer;
  readonly numRows: number;
}

/**
 * The part of chdb's native addon the endpoint uses. The public `Session`
 * wrapper is not enough for an HTTP front: its `queryBind`/`queryStreamBind`
 * re-escape parameter values, but the wire already carries them in the
 * server's escaped text form (composite values such as `['a\'b']` cannot
 * round-trip through an unescape/escape). Async calls and stream fetches run
 * on the libuv pool; CreateConnection and StreamQuery run on the caller's thread.
 */
export interface ChdbNative {
  CreateConnection(path: string, args?: readonly string[]): NativeHandle;
  CloseConnection(connection: NativeHandle): void;
  QueryAsyncConnection(
    connection: NativeHandle,
    sql: string,
    format: string,
    params?: Readonly<Record<string, string>>,
  ): Promise<NativeQueryResult>;
  StreamQuery(connection: NativeHandle, sql: string, format: string, params?: Readonly<Record<string, string>>): NativeHandle;
  StreamFetch(stream: NativeHandle): Promise<NativeStreamChunk>;
  StreamCancel(stream: NativeHandle): void;
}

const REQUIRED: readonly (keyof ChdbNative)[] = [
  'CreateConnection',
  'CloseConnection',
  'QueryAsyncConnection',
  'StreamQuery',
  'StreamFetch',
  'StreamCancel',
];

let cached: ChdbNative | undefined;

/**
 * Loads the addon through chdb's own loader (same module instance as the
 * `chdb` package, so both see one engine), and checks the entry points exist.
 */
export function loadChdbNative(): ChdbNative {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const chdbMain = require.resolve('chdb');
  const version = (require('chdb/package.json') as { version: string }).version;
  const loader = require(join(dirname(chdbMain), 'dist', 'loader.js')) as { loadNative(): unknown };
  const addon = loader.loadNative() as Record<string, unknown>;
  const missing = REQUIRED.filter((name) => typeof addon[name] !== 'function');
  if (missing.length > 0) {
    throw new NonRetryableError(
      'ORACUL_WAREHOUSE_ENGINE',
      `chdb ${version}: native addon lacks ${missing.join(', ')}; the warehouse endpoint was built against chdb 3.4`,
      { details: { chdbVersion: version, missing } },
    );
  }
  cached = addon as unknown as ChdbNative;
  return cached;
}
