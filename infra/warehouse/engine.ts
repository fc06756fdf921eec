import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NonRetryableError } from '../../core/errors.ts';
import { CH, WarehouseError, fromEngineError } from './errors.ts';
import { ConnectionPool, type Lease } from './connection-pool.ts';
import { Gate } from './gate.ts';
import { inlineQueryParams } from './inline-params.ts';
import { quoteString } from './settings.ts';
import {
  loadChdbNative,
  type ChdbNative,
  type NativeHandle,
  type NativeQueryResult,
  type NativeStreamChunk,
} from './engine-binding.ts';
import {
  bufferedResultStream,
  emptyStats,
  nativeResultStream,
  type EngineResultStream,
  type EngineStats,
} from './engine-stream.ts';

export type { EngineResultStream, EngineStats } from './engine-stream.ts';

/** One statement as the engine runs it. */
export interface EngineStatement {
  readonly sql: string;
  /** Output format when the statement has no FORMAT clause of its own. */
  readonly format: string;
  /** Raw `{name:Type}` values, escaped text exactly as sent over HTTP; never spliced into SQL. */
  readonly params: Readonly<Record<string, string>>;
  /** `USE ...; SET ...` run first on the same connection ('' for none). */
  readonly preamble: string;
  /** The statement cannot change session state (no SET/USE/temporary table), so its connection may be reused. */
  readonly sessionSafe: boolean;
  /** Runs in the read-only share of the slots (never the writer's reserved ones). */
  readonly readonlyShare?: boolean;
}

export interface EngineInsert {
  /** `INSERT INTO t (cols)`, as the client wrote it. */
  readonly head: string;
  /** `[SETTINGS ...] FORMAT x`, as the client wrote it. */
  readonly tail: string;
  /** The rows, in format x, bytes as received (binary formats included). */
  readonly data: Buffer;
  /** Raw `{name:Type}` values used in the INSERT's own text (rare, but the server allows them). */
  readonly params: Readonly<Record<string, string>>;
  readonly preamble: string;
  readonly readonlyShare?: boolean;
}

export interface Engine {
  readonly version: string;
  readonly dataDir: string;
  /** Queries running / waiting for a slot. */
  load(): { running: number; queued: number };
  /** Runs a statement and returns its whole output. */
  execute(statement: EngineStatement, signal?: AbortSignal): Promise<{ bytes: Buffer; stats: EngineStats }>;
  /** Runs a read statement chunk by chunk; errors raised before the first chunk reject here. */
  stream(statement: EngineStatement, signal?: AbortSignal): Promise<EngineResultStream>;
  insert(insert: EngineInsert, signal?: AbortSignal): Promise<EngineStats>;
  /** Waits for running queries, then releases the data directory. */
  close(): Promise<void>;
}

export interface OpenEngineParameters {
  dataDir: string;
  /** Queries running at once. Each holds a libuv pool thread while the engine works (pool default: 4). */
  concurrency?: number;
  /** Queries waiting for a slot before new ones are refused with TOO_MANY_SIMULTANEOUS_QUERIES. */
  maxQueued?: number;
  /**
   * Slots read-only queries never take, so slow reads cannot hold the writer's inserts
   * (default 1; read-only queries share `concurrency - reservedWriterSlots`, at least 1).
   */
  reservedWriterSlots?: number;
  /** Idle prepared connections kept for reuse (default 16; 0 disables reuse). */
  maxIdleConnections?: number;
  /** Where INSERT payloads are staged for the engine (default: the OS temp dir). */
  incomingDir?: string;
}

const STREAMING_UNSUPPORTED = 'Streaming query is not supported';

/**
 * The embedded engine behind the endpoint. A request runs on a native
 * connection of its own whose session holds exactly that request's `USE`/`SET`
 * preamble, so nothing leaks between requests (like the server's per-request
 * contexts); connections are reused only by requests with the same preamble.
 * A root connection lives as long as the engine so the data directory stays
 * loaded between requests.
 */
export async function openEngine(params: OpenEngineParameters): Promise<Engine> {
  const native = loadChdbNative();
  const dataDir = resolve(params.dataDir);
  mkdirSync(dataDir, { recursive: true });
  let root: NativeHandle;
  try {
    root = native.CreateConnection(dataDir);
  } catch (cause) {
    // Typically another process owns the directory (the engine locks `<dataDir>/status`).
    throw new NonRetryableError(
      'ORACUL_WAREHOUSE_ENGINE',
      `cannot open the warehouse data directory ${dataDir}: ${(cause as Error).message}`,
      {
        cause,
        details: { dataDir },
      },
    );
  }
  let version: string;
  try {
    version = (await native.QueryAsyncConnection(root, 'SELECT version()', 'TabSeparated')).bytes.toString('utf8').trim();
  } catch (error) {
    native.CloseConnection(root);
    throw fromEngineError(error);
  }
  const incomingDir = mkdtempSync(join(params.incomingDir ?? tmpdir(), 'oracul-warehouse-incoming-'));
  return new EmbeddedEngine(native, root, dataDir, incomingDir, version, params);
}

class EmbeddedEngine implements Engine {
  private readonly slots: Gate;
  /** Taken before `slots` by read-only queries: at most `concurrency - reservedWriterSlots` of them hold a slot. */
  private readonly readonlyShare: Gate;
  /**
   * chdb sets query parameters on shared engine state around each call; its own
   * wrapper serialises parameterised calls because concurrent ones were seen to
   * clobber each other. Same here: held for a whole buffered query, and for a
   * stream until its first chunk (the engine has captured the values by then).
   * Only statements whose parameters cannot be bound like the server binds them
   * (`bindParams`) still reach the engine with parameters and take this lock.
   */
  private readonly paramLock = new Gate(1);
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly openStreams = new Set<() => void>();
  private readonly pool: ConnectionPool;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly native: ChdbNative,
    private readonly root: NativeHandle,
    readonly dataDir: string,
    private readonly incomingDir: string,
    readonly version: string,
    params: OpenEngineParameters,
  ) {
    const concurrency = params.concurrency ?? 3;
    const full = () =>
      new WarehouseError(CH.TOO_MANY_SIMULTANEOUS_QUERIES, 'Too many simultaneous queries: the embedded engine queue is full');
    this.slots = new Gate(concurrency, params.maxQueued ?? 64, full);
    const share = Math.max(1, concurrency - (params.reservedWriterSlots ?? 1));
    this.readonlyShare = new Gate(share, params.maxQueued ?? 64, full);
    this.pool = new ConnectionPool(native, dataDir, params.maxIdleConnections ?? 16);
  }

  load(): { running: number; queued: number } {
    return { running: this.slots.running, queued: this.slots.queued };
  }

  execute(statement: EngineStatement, signal?: AbortSignal): Promise<{ bytes: Buffer; stats: EngineStats }> {
    return withBoundParams(statement, bindParams(statement), signal, (s) => this.executeStatement(s, signal));
  }

  insert(insert: EngineInsert, signal?: AbortSignal): Promise<EngineStats> {
    return withBoundParams(insert, bindInsertParams(insert), signal, (i) => this.insertRows(i, signal));
  }

  stream(statement: EngineStatement, signal?: AbortSignal): Promise<EngineResultStream> {
    return withBoundParams(statement, bindParams(statement), signal, (s) => this.streamStatement(s, signal));
  }

  private async executeStatement(
    statement: EngineStatement,
    signal?: AbortSignal,
  ): Promise<{ bytes: Buffer; stats: EngineStats }> {
    const { preamble, sessionSafe, readonlyShare } = statement;
    return this.withConnection({ signal, preamble, sessionSafe, readonlyShare }, async (connection) => {
      const run = () => this.native.QueryAsyncConnection(connection, statement.sql, statement.format, statement.params);
      const result = hasParams(statement.params) ? await this.paramLock.run(run) : await run();
      return { bytes: result.bytes, stats: resultStats(result) };
    });
  }

  private async insertRows(insert: EngineInsert, signal?: AbortSignal): Promise<EngineStats> {
    const { preamble, readonlyShare } = insert;
    return this.withConnection({ signal, preamble, sessionSafe: true, readonlyShare }, async (connection) => {
      // The rows go through a file: inline INSERT data (query text or chdb's raw insert) ends at the
      // first blank line and the engine runs the rest as SQL. The file name is ours, never the client's.
      const file = join(this.incomingDir, `${randomUUID()}.rows`);
      await writeFile(file, insert.data);
      try {
        const sql = `${insert.head.trimEnd()} FROM INFILE ${quoteString(file)} COMPRESSION 'none' ${insert.tail}`;
        const run = () => this.native.QueryAsyncConnection(connection, sql, 'TabSeparated', insert.params);
        const result = hasParams(insert.params) ? await this.paramLock.run(run) : await run();
        const stats = emptyStats();
        stats.writtenRows = result.rowsRead;
        stats.writtenBytes = result.bytesRead;
        stats.readRows = result.rowsRead;
        stats.readBytes = insert.data.length;
        stats.elapsedNs = Math.round(result.elapsed * 1e9);
        return stats;
      } finally {
        await rm(file, { force: true });
      }
    });
  }

  private async streamStatement(statement: EngineStatement, signal?: AbortSignal): Promise<EngineResultStream> {
    this.assertOpen();
    const release = await this.acquireSlot(signal, statement.readonlyShare === true);
    const lease = this.pool.acquire(statement.preamble);
    // Exactly one owner gives back the connection and the slot: the returned stream, or this function.
    let handedOver = false;
    let reuse = false;
    try {
      await this.prepare(lease);
      const stream = await this.openStream(lease, statement, release);
      if (stream) {
        handedOver = true;
        return stream;
      }
      const buffered = await this.bufferedAsStream(lease.connection, statement);
      reuse = statement.sessionSafe;
      return buffered;
    } catch (error) {
      throw fromEngineError(error);
    } finally {
      if (!handedOver) {
        this.pool.release(lease, reuse);
        release();
      }
    }
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      for (const cancel of [...this.openStreams]) cancel();
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
      this.pool.closeAll();
      this.native.CloseConnection(this.root);
      rmSync(this.incomingDir, { recursive: true, force: true });
    })();
    return this.closing;
  }

  /** Opens a native result stream and fetches its first chunk; undefined if the engine cannot stream this statement. */
  private async openStream(
    lease: Lease,
    statement: EngineStatement,
    release: () => void,
  ): Promise<EngineResultStream | undefined> {
    const { connection } = lease;
    const unlock = hasParams(statement.params) ? await this.paramLock.acquire() : undefined;
    try {
      let handle: NativeHandle;
      try {
        handle = this.native.StreamQuery(connection, statement.sql, statement.format, statement.params);
      } catch (error) {
        // INSERT ... SELECT, DDL, SHOW ...: the engine runs these only as one-shot queries.
        if (error instanceof Error && error.message.includes(STREAMING_UNSUPPORTED)) return undefined;
        throw error;
      }
      let first;
      try {
        first = await this.track(this.native.StreamFetch(handle));
      } catch (error) {
        this.native.StreamCancel(handle);
        throw error;
      }
      return this.wrapStream(lease, handle, first.done ? undefined : first, statement.sessionSafe, release);
    } finally {
      unlock?.();
    }
  }

  private async bufferedAsStream(connection: NativeHandle, statement: EngineStatement): Promise<EngineResultStream> {
    const run = () => this.track(this.native.QueryAsyncConnection(connection, statement.sql, statement.format, statement.params));
    const result = hasParams(statement.params) ? await this.paramLock.run(run) : await run();
    return bufferedResultStream(result.bytes, resultStats(result));
  }

  /** Hands the connection and slot to the stream; both come back when it closes. */
  private wrapStream(
    lease: Lease,
    handle: NativeHandle,
    first: NativeStreamChunk | undefined,
    sessionSafe: boolean,
    release: () => void,
  ): EngineResultStream {
    const stream = nativeResultStream({
      native: this.native,
      handle,
      first,
      track: (operation) => this.track(operation),
      onClosed: (completed) => {
        this.openStreams.delete(stream.cancel);
        // A stream read to its end leaves the session as it was; a cut one is not trusted again.
        this.pool.release(lease, completed && sessionSafe);
        release();
      },
    });
    this.openStreams.add(stream.cancel);
    return stream;
  }

  /** A slot; a read-only query first takes a place in its share, so it never holds the writer's reserved slots. */
  private async acquireSlot(signal: AbortSignal | undefined, readonlyShare: boolean): Promise<() => void> {
    if (!readonlyShare) return this.slots.acquire(signal);
    const releaseShare = await this.readonlyShare.acquire(signal);
    try {
      const release = await this.slots.acquire(signal);
      return () => {
        release();
        releaseShare();
      };
    } catch (error) {
      releaseShare();
      throw error;
    }
  }

  private async withConnection<T>(
    run: { signal: AbortSignal | undefined; preamble: string; sessionSafe: boolean; readonlyShare: boolean | undefined },
    task: (connection: NativeHandle) => Promise<T>,
  ): Promise<T> {
    const { signal, preamble, sessionSafe } = run;
    this.assertOpen();
    const release = await this.acquireSlot(signal, run.readonlyShare === true);
    const lease = this.pool.acquire(preamble);
    const work = (async () => {
      let reuse = false;
      try {
        await this.prepare(lease);
        const result = await task(lease.connection);
        reuse = sessionSafe;
        return result;
      } catch (error) {
        throw fromEngineError(error);
      } finally {
        // Every native call on this connection was awaited above, so releasing cannot race a pool thread.
        this.pool.release(lease, reuse);
        release();
      }
    })();
    return this.track(work);
  }

  private async prepare(lease: Lease): Promise<void> {
    if (!lease.prepared && lease.preamble !== '') {
      await this.track(this.native.QueryAsyncConnection(lease.connection, lease.preamble, 'TabSeparated'));
    }
  }

  /** Remembers a native operation so close() waits for it. */
  private track<T>(operation: Promise<T>): Promise<T> {
    const settled = operation.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
    return operation;
  }

  private assertOpen(): void {
    if (this.closing) throw new WarehouseError(CH.QUERY_WAS_CANCELLED, 'The warehouse endpoint is shutting down');
  }
}

function resultStats(result: NativeQueryResult): EngineStats {
  const stats = emptyStats();
  stats.readRows = result.rowsRead;
  stats.readBytes = result.bytesRead;
  stats.resultBytes = result.bytes.length;
  stats.elapsedNs = Math.round(result.elapsed * 1e9);
  return stats;
}

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/** The statement with its parameters bound as typed literals (inline-params.ts), or as given when they cannot be. */
function bindParams(statement: EngineStatement): EngineStatement {
  if (!hasParams(statement.params)) return statement;
  const sql = inlineQueryParams(statement.sql, statement.params);
  return sql === undefined ? statement : { ...statement, sql, params: NO_PARAMS };
}

/**
 * Errors of a value that does not read as its type. The server's binding and a CAST word these
 * differently (BAD_QUERY_PARAMETER vs CANNOT_PARSE_…), so such a failure is asked again of the
 * engine's own binding, which answers what a server would.
 */
const VALUE_ERROR =
  /^CANNOT_|TYPE_MISMATCH|OUT_OF_RANGE|OUT_OF_BOUND|INCORRECT_DATA|BAD_ARGUMENTS|ILLEGAL_TYPE_OF_ARGUMENT|AFTER_EOF|OVERFLOW|BAD_QUERY_PARAMETER/;

/** Runs the bound form; a value error (not a cancellation) runs the statement as given instead. */
async function withBoundParams<S, R>(given: S, bound: S, signal: AbortSignal | undefined, run: (s: S) => Promise<R>): Promise<R> {
  if (bound === given) return run(given);
  try {
    return await run(bound);
  } catch (error) {
    if (signal?.aborted || !(error instanceof WarehouseError) || !VALUE_ERROR.test(error.clickhouseName)) throw error;
    return run(given);
  }
}

function bindInsertParams(insert: EngineInsert): EngineInsert {
  if (!hasParams(insert.params)) return insert;
  const head = inlineQueryParams(insert.head, insert.params);
  const tail = head === undefined ? undefined : inlineQueryParams(insert.tail, insert.params);
  return head === undefined || tail === undefined ? insert : { ...insert, head, tail, params: NO_PARAMS };
}

function hasParams(params: Readonly<Record<string, string>>): boolean {
  for (const _ in params) return true;
  return false;
}
