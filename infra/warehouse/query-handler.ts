import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../core/logger.ts';
import { authenticate, extractCredentials, type UserEntry, type WarehouseUser } from './auth.ts';
import type { Engine, EngineStats } from './engine.ts';
import { CH, WarehouseError, fromEngineError, httpStatusFor } from './errors.ts';
import { sendBuffered, sendError, sendStream, type Reply } from './reply.ts';
import { multipartBoundary, parseMultipart, readBody } from './request-body.ts';
import { classifyParams, isTruthy, mergeParams, type QueryRequestParams } from './request-params.ts';
import { chooseEncoding } from './response.ts';
import { sessionPreamble, sessionSettings } from './settings.ts';
import { assertNoHostFileAccess, isEmptyInsertData, planStatement, type StatementPlan } from './statement-plan.ts';
import type { StatementPolicy } from './statement-policy.ts';
import type { StatementKind } from './sql-scanner.ts';

export interface QueryHandlerContext {
  readonly engine: Engine;
  readonly users: readonly UserEntry[];
  readonly logger: Logger;
  /** The writer's body cap, after decompression. */
  readonly maxBodyBytes: number;
  /** The read-only user's body cap (its bodies are queries, never rows). */
  readonly readonlyMaxBodyBytes: number;
  readonly displayName: string;
  readonly policy: StatementPolicy;
  /** Settings applied after the read-only user's own (e.g. a max_execution_time ceiling). */
  readonly readonlyLimits: Readonly<Record<string, string>>;
  /** Wall-clock bound of a read-only request (body, queue, run, streaming); 0 for none. */
  readonly readonlyDeadlineMs: number;
}

/** What one request became, for its log line. */
interface QueryOutcome {
  queryId: string;
  user?: string;
  kind?: StatementKind;
  stats?: EngineStats;
  error?: WarehouseError;
  status: number;
}

const DEFAULT_FORMAT = 'TabSeparated';
const DEFAULT_TIMEZONE = 'UTC';

/** Handles `GET|POST /?query=...`: authenticate, read, run on the engine, answer like a ClickHouse server. */
export async function handleQuery(
  request: IncomingMessage,
  response: ServerResponse,
  context: QueryHandlerContext,
): Promise<void> {
  const started = performance.now();
  const url = new URL(request.url ?? '/', 'http://warehouse');
  const urlEntries = [...url.searchParams];
  const outcome: QueryOutcome = { queryId: url.searchParams.get('query_id') || randomUUID(), status: 200 };
  const aborter = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) aborter.abort(new WarehouseError(CH.QUERY_WAS_CANCELLED, 'client closed the connection'));
  });
  let timezone = DEFAULT_TIMEZONE;
  let format = DEFAULT_FORMAT;
  let deadline: NodeJS.Timeout | undefined;
  try {
    let params = classifyParams(urlEntries);
    // Who asks decides every limit below, so nothing of the body is read before this.
    const user = authenticate(context.users, extractCredentials(request.headers, params.user, params.password));
    outcome.user = user.name;
    assertSupportedTransport(params);
    const readonly = user.role === 'readonly';
    if (readonly && context.readonlyDeadlineMs > 0) deadline = armDeadline(aborter, context.readonlyDeadlineMs);
    const bodyLimit = readonly ? context.readonlyMaxBodyBytes : context.maxBodyBytes;
    let body = request.method === 'POST' ? await readBody(request, request.headers, bodyLimit, aborter.signal) : Buffer.alloc(0);
    const boundary = multipartBoundary(request.headers['content-type']);
    if (boundary !== undefined) {
      const fields = parseMultipart(body, boundary);
      if (fields.some((f) => f.filename !== undefined)) {
        throw new WarehouseError(
          CH.NOT_IMPLEMENTED,
          'External tables (multipart file parts) are not supported by the embedded endpoint',
        );
      }
      params = classifyParams(
        mergeParams(
          urlEntries,
          fields.map((f) => [f.name, f.value] as const),
        ),
      );
      outcome.queryId = params.queryId ?? outcome.queryId;
      body = Buffer.alloc(0);
    }
    const plan = planStatement(params.query, body);
    outcome.kind = plan.info.kind;
    assertNoHostFileAccess(plan.info);
    context.policy.assertStatement(plan.info, user);
    if (plan.type === 'insert-data') context.policy.assertInsertData(plan.info.format, plan.data, user);
    const settings = sessionSettings({
      role: user.role,
      user: user.name,
      method: request.method ?? 'GET',
      clientSettings: params.settings,
      readonlyLimits: context.readonlyLimits,
    });
    timezone = settings.get('session_timezone') || DEFAULT_TIMEZONE;
    format = (plan.type === 'statement' ? plan.info.format : undefined) ?? params.defaultFormat ?? DEFAULT_FORMAT;
    const preamble = sessionPreamble(params.database, settings);
    const encoding = chooseEncoding(
      single(request.headers['accept-encoding']),
      isTruthy(params.transport.enable_http_compression),
    );
    const level = compressionLevel(params.transport.http_zlib_compression_level);
    const reply: Reply = { response, context, queryId: outcome.queryId, format, timezone, encoding, level };
    outcome.stats = await run(context.engine, plan, params, preamble, user, reply, aborter.signal);
  } catch (caught) {
    const error =
      aborter.signal.aborted && !(caught instanceof WarehouseError)
        ? fromEngineError(aborter.signal.reason)
        : fromEngineError(caught);
    outcome.error = error;
    outcome.status = response.headersSent ? 200 : httpStatusFor(error);
    if (!response.headersSent && !response.destroyed) {
      sendError(response, error, context, { queryId: outcome.queryId, format, timezone });
    } else if (!response.writableEnded) {
      // Cut mid-answer (e.g. the read-only deadline while streaming): never leave it looking complete.
      response.destroy();
    }
  } finally {
    clearTimeout(deadline);
    logOutcome(context.logger, outcome, performance.now() - started);
  }
}

async function run(
  engine: Engine,
  plan: StatementPlan,
  params: QueryRequestParams,
  preamble: string,
  user: WarehouseUser,
  reply: Reply,
  signal: AbortSignal,
): Promise<EngineStats> {
  if (plan.type === 'insert-data') {
    let stats: EngineStats;
    if (isEmptyInsertData(plan.info.format, plan.data)) {
      // The engine refuses an empty payload ("No data to insert"); a server inserts nothing.
      if (user.role === 'readonly') throw new WarehouseError(CH.READONLY, `${user.name}: Cannot execute query in readonly mode`);
      stats = zeroStats();
    } else {
      const { head, tail, data } = plan;
      const readonlyShare = user.role === 'readonly';
      stats = await engine.insert({ head, tail, data, params: params.params, preamble, readonlyShare }, signal);
    }
    await sendBuffered(reply, Buffer.alloc(0), stats);
    return stats;
  }
  const sessionSafe = plan.info.kind === 'select' || plan.info.kind === 'insert';
  const readonlyShare = user.role === 'readonly';
  const statement = { sql: plan.sql, format: reply.format, params: params.params, preamble, sessionSafe, readonlyShare };
  if (plan.info.kind === 'select' && !isTruthy(params.transport.wait_end_of_query)) {
    const stream = await engine.stream(statement, signal);
    await sendStream(reply, stream, signal);
    return stream.stats;
  }
  const result = await engine.execute(statement, signal);
  await sendBuffered(reply, result.bytes, result.stats);
  return result.stats;
}

/** Aborts the request when the read-only user's time is up, wherever it is (reading, queued, running, streaming). */
function armDeadline(aborter: AbortController, ms: number): NodeJS.Timeout {
  const timer = setTimeout(() => {
    aborter.abort(
      new WarehouseError(
        CH.TIMEOUT_EXCEEDED,
        `Timeout exceeded: read-only requests end after ${ms} ms (stack.warehouse.readonlyMaxExecutionTimeS plus a grace)`,
      ),
    );
  }, ms);
  timer.unref();
  return timer;
}

function assertSupportedTransport(params: QueryRequestParams): void {
  for (const name of ['compress', 'decompress'] as const) {
    if (isTruthy(params.transport[name])) {
      throw new WarehouseError(
        CH.NOT_IMPLEMENTED,
        `${name}=1 (ClickHouse block compression) is not supported by the embedded endpoint; use HTTP compression (enable_http_compression=1, Accept-Encoding / Content-Encoding gzip)`,
      );
    }
  }
}

function logOutcome(logger: Logger, outcome: QueryOutcome, durationMs: number): void {
  const fields = {
    query_id: outcome.queryId,
    user: outcome.user,
    kind: outcome.kind,
    status: outcome.status,
    duration_ms: Math.round(durationMs * 100) / 100,
    ...(outcome.stats
      ? {
          read_rows: outcome.stats.readRows,
          result_rows: outcome.stats.resultRows,
          result_bytes: outcome.stats.resultBytes,
          written_rows: outcome.stats.writtenRows,
        }
      : {}),
  };
  if (outcome.error) {
    logger.warn({
      msg: 'query failed',
      ...fields,
      error_code: outcome.error.clickhouseCode,
      oracul_code: outcome.error.code,
      error_name: outcome.error.clickhouseName,
      error: outcome.error.message,
    });
  } else if (durationMs >= SLOW_QUERY_MS) {
    logger.info({ msg: 'slow query', ...fields });
  } else {
    // Like a ClickHouse server, which logs each query at debug: at info, one synchronous log line per query cost
    // the endpoint ~9 % of its event loop under 200 gateway reads/s.
    logger.debug({ msg: 'query', ...fields });
  }
}

/** A successful query at least this long is logged at info. */
const SLOW_QUERY_MS = 1_000;

function compressionLevel(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const level = Number(value);
  return Number.isInteger(level) && level >= 1 && level <= 9 ? level : undefined;
}

function zeroStats(): EngineStats {
  return { readRows: 0, readBytes: 0, writtenRows: 0, writtenBytes: 0, resultRows: 0, resultBytes: 0, elapsedNs: 0 };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}
