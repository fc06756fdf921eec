import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { REPO_ROOT } from '../../config/index.ts';
import type { OraculConfig } from '../../config/schema.ts';
import { PortInUseError } from '../../core/errors.ts';
import { componentLogger, type Logger } from '../../core/logger.ts';
import { usersFromConfig, type UserEntry } from './auth.ts';
import { openEngine, type Engine } from './engine.ts';
import { handleQuery, type QueryHandlerContext } from './query-handler.ts';
import { quoteIdentifier } from './settings.ts';
import { StatementPolicy } from './statement-policy.ts';

export interface StartWarehouseServerParameters {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  dataDir: string;
  users: readonly UserEntry[];
  logger: Logger;
  /** Created at start if missing. */
  database?: string;
  /** Largest request body of the writer, after decompression (default 256 MiB). */
  maxBodyBytes?: number;
  /** Largest request body of the read-only user, after decompression (default 1 MiB: queries, never rows). */
  readonlyMaxBodyBytes?: number;
  /** max_execution_time ceiling of the read-only user's queries (default 60 s); its requests end 5 s later at the latest. */
  readonlyMaxExecutionTimeS?: number;
  /** Engine queries running at once (default 3) and waiting (default 64). */
  concurrency?: number;
  maxQueued?: number;
  /** Engine slots read-only queries never take (default 1). */
  reservedWriterSlots?: number;
  /** X-ClickHouse-Server-Display-Name (default: the host name, like the server). */
  displayName?: string;
  /** How long close() lets running requests finish before cutting connections (default 5 s, inside the supervisor's 10 s stop grace). */
  shutdownGraceMs?: number;
}

export interface WarehouseServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly engine: Engine;
  /** Stops accepting, lets requests finish (up to the grace period), then releases the engine. */
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 256 * 1024 * 1024;
const DEFAULT_READONLY_MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_READONLY_MAX_EXECUTION_TIME_S = 60;
/** Past the engine's own max_execution_time: the time to cut a stream the client stopped reading. */
const READONLY_DEADLINE_GRACE_MS = 5_000;
const OK = 'Ok.\n';

/**
 * `oracul warehouse serve`: the ClickHouse HTTP interface in front of the
 * embedded engine, so application code talks to it with @clickhouse/client and
 * a URL, and a real server can replace it by configuration.
 */
export async function startWarehouseServer(params: StartWarehouseServerParameters): Promise<WarehouseServer> {
  const logger = componentLogger(params.logger, 'warehouse');
  const engine = await openEngine({
    dataDir: params.dataDir,
    concurrency: params.concurrency,
    maxQueued: params.maxQueued,
    reservedWriterSlots: params.reservedWriterSlots,
  });
  try {
    if (params.database !== undefined) {
      await engine.execute({
        sql: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(params.database)}`,
        format: 'TabSeparated',
        params: {},
        preamble: '',
        sessionSafe: false,
      });
    }
    const readonlyMaxExecutionTimeS = params.readonlyMaxExecutionTimeS ?? DEFAULT_READONLY_MAX_EXECUTION_TIME_S;
    const context: QueryHandlerContext = {
      engine,
      users: params.users,
      logger,
      maxBodyBytes: params.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      readonlyMaxBodyBytes: params.readonlyMaxBodyBytes ?? DEFAULT_READONLY_MAX_BODY_BYTES,
      displayName: params.displayName ?? hostname(),
      policy: new StatementPolicy(await engineTableFunctions(engine)),
      readonlyLimits: { max_execution_time: String(readonlyMaxExecutionTimeS) },
      readonlyDeadlineMs: readonlyMaxExecutionTimeS > 0 ? readonlyMaxExecutionTimeS * 1000 + READONLY_DEADLINE_GRACE_MS : 0,
    };
    // 1 MiB of headers like the server's http_max_uri_size: clients put settings and params in the URL.
    const server = createServer({ maxHeaderSize: 1024 * 1024 }, (request, response) => {
      route(request, response).catch((error: unknown) => {
        logger.error({ msg: 'request handler failed', err: error });
        if (!response.headersSent) response.writeHead(500);
        response.end();
      });
    });
    server.keepAliveTimeout = 10_000;
    const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
      const path = (request.url ?? '/').split('?')[0];
      if (path === '/ping' || path === '/replicas_status') return sendText(response, 200, OK);
      if (path === '/' || path === '') {
        const hasQuery = /[?&]query=/.test(request.url ?? '');
        if ((request.method === 'GET' || request.method === 'HEAD') && !hasQuery) return sendText(response, 200, OK);
        if (request.method !== 'GET' && request.method !== 'POST')
          return sendText(response, 405, 'Only GET and POST are supported\n');
        return handleQuery(request, response, context);
      }
      return sendText(
        response,
        404,
        `There is no handle ${path}\n\nUse / or /ping for health checks.\nSend queries with POST or GET /?query=...\n`,
      );
    };
    await listen(server, params.host, params.port);
    const address = server.address() as AddressInfo;
    const url = `http://${params.host}:${address.port}`;
    logger.info({ msg: 'warehouse listening', url, data_dir: engine.dataDir, engine_version: engine.version });
    let closing: Promise<void> | undefined;
    return {
      url,
      host: params.host,
      port: address.port,
      engine,
      close: () => {
        closing ??= shutdown(server, engine, logger, params.shutdownGraceMs ?? 5_000);
        return closing;
      },
    };
  } catch (error) {
    await engine.close();
    throw error;
  }
}

/** The running engine's table functions, so one it added since ENGINE_TABLE_FUNCTIONS was written is refused too. */
async function engineTableFunctions(engine: Engine): Promise<string[]> {
  const { bytes } = await engine.execute({
    sql: 'SELECT name FROM system.table_functions',
    format: 'TabSeparated',
    params: {},
    preamble: '',
    sessionSafe: true,
  });
  return bytes
    .toString('utf8')
    .split('\n')
    .filter((name) => name !== '');
}

/** Parameters from config: `stack.host:stack.warehouse.port`, data in `<stack.stateDir>/warehouse/data`. */
export function warehouseServerParameters(
  config: Pick<OraculConfig, 'stack' | 'clickhouse'>,
  logger: Logger,
): StartWarehouseServerParameters {
  const stateDir = isAbsolute(config.stack.stateDir) ? config.stack.stateDir : join(REPO_ROOT, config.stack.stateDir);
  return {
    host: config.stack.host,
    port: config.stack.warehouse.port,
    dataDir: join(stateDir, 'warehouse', 'data'),
    users: usersFromConfig(config.clickhouse),
    database: config.clickhouse.database,
    maxBodyBytes: config.stack.warehouse.maxBodyBytes,
    readonlyMaxBodyBytes: config.stack.warehouse.readonlyMaxBodyBytes,
    readonlyMaxExecutionTimeS: config.stack.warehouse.readonlyMaxExecutionTimeS,
    reservedWriterSlots: config.stack.warehouse.reservedWriterSlots,
    logger,
  };
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'Content-Type': 'text/html; charset=UTF-8', 'Content-Length': String(Buffer.byteLength(text)) });
  response.end(text);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, host, 'warehouse') : error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

async function shutdown(server: Server, engine: Engine, logger: Logger, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const grace = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
  if ((await Promise.race([closed, grace])) === 'timeout') {
    logger.warn({ msg: 'cutting connections still open after the grace period', grace_ms: graceMs });
    server.closeAllConnections();
    await closed;
  }
  await engine.close();
  logger.info({ msg: 'warehouse stopped' });
}
