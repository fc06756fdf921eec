/**
 * The chain-facing JSON-RPC client: several endpoints with ranked failover,
 * retries with exponential backoff and jitter for transient errors only (core/retry.ts on p-retry),
 * an AIMD rate per endpoint, explicit JSON-RPC batching.
 *
 * Why not viem's `fallback` transport: it retries and fails over on its own terms
 * (no Retry-After, no per-endpoint rate, batch elements cannot fail over one by
 * one, and it cannot tell which endpoint lacks a method). Here each HTTP request
 * goes to one ranked endpoint through viem's HTTP JSON-RPC client, and only the
 * calls that failed transiently are sent again, possibly elsewhere.
 */
import { isRetryable } from '../../../core/errors.ts';
import type { Logger } from '../../../core/logger.ts';
import { withRetry } from '../../../core/retry.ts';
import { createRpcEndpoint, type RpcCall, type RpcCallOutcome, type RpcEndpoint, type RpcEndpointOptions } from './endpoint.ts';
import {
  RpcMethodUnsupportedError,
  RpcNoEndpointError,
  RpcRateLimitedError,
  RpcResultLimitError,
  type RpcErrorType,
} from './errors.ts';

export interface RpcRetryOptions {
  /** Retries after the first attempt. Default 8. */
  retries?: number;
  /** First backoff delay. Default 200 ms. */
  minDelayMs?: number;
  /** Backoff cap. Default 10 000 ms. */
  maxDelayMs?: number;
  /** Exponential factor. Default 2. */
  factor?: number;
}

export interface CreateRpcClientParameters {
  /** Chain name, for logs and errors. */
  chain: string;
  /** Endpoints in preference order; strings use `defaults`. */
  endpoints: readonly (string | RpcEndpointOptions)[];
  /** Applied to every endpoint given as a string, and under each RpcEndpointOptions. */
  defaults?: Omit<RpcEndpointOptions, 'url'>;
  retry?: RpcRetryOptions;
  logger?: Logger;
}

export interface RpcClientStats {
  calls: number;
  httpRequests: number;
  retries: number;
  failuresByCode: Record<string, number>;
}

export interface RpcClient {
  readonly chain: string;
  readonly endpoints: readonly RpcEndpoint[];
  /** One call; resolves with its `result` (unknown: validate before use). */
  request(method: string, params: readonly unknown[], options?: { signal?: AbortSignal }): Promise<unknown>;
  /**
   * Many calls, sent as JSON-RPC batches of each endpoint's batch size; results in call order.
   * Calls that fail transiently are retried (possibly on another endpoint); the first
   * deterministic failure rejects the whole batch.
   */
  batch(calls: readonly RpcCall[], options?: { signal?: AbortSignal }): Promise<unknown[]>;
  /** False once every endpoint answered "method not supported" for `method`. */
  supports(method: string): boolean;
  readonly stats: Readonly<RpcClientStats>;
}

export type RpcClientErrorType = RpcErrorType;

/**
 * @example
 * const rpc = createRpcClient({ chain: 'mainnet', endpoints: config.chains[0].rpcUrls, logger });
 * const head = await rpc.request('eth_blockNumber', []);
 */
export function createRpcClient(params: CreateRpcClientParameters): RpcClient {
  if (params.endpoints.length === 0) throw new RangeError(`chain ${params.chain}: no RPC endpoint configured`);
  const endpoints = params.endpoints.map((e, i) =>
    createRpcEndpoint(
      i,
      typeof e === 'string'
        ? { ...params.defaults, url: e }
        : { ...params.defaults, ...e, rate: { ...params.defaults?.rate, ...e.rate } },
    ),
  );
  const retry = { retries: 8, minDelayMs: 200, maxDelayMs: 10_000, factor: 2, ...params.retry };
  const stats: RpcClientStats = { calls: 0, httpRequests: 0, retries: 0, failuresByCode: {} };
  const client: ClientContext = { chain: params.chain, endpoints, stats, logger: params.logger };

  async function batch(calls: readonly RpcCall[], options: { signal?: AbortSignal } = {}): Promise<unknown[]> {
    if (calls.length === 0) return [];
    const call: BatchCall = { calls, results: new Array(calls.length), pending: calls.map((_, i) => i), signal: options.signal };
    stats.calls += calls.length;
    await withRetry(() => sendPending(client, call), {
      retries: retry.retries,
      factor: retry.factor,
      initialDelayMs: retry.minDelayMs,
      maxDelayMs: retry.maxDelayMs,
      // jitter: delay × random(1, 2), so clients that failed together do not retry together
      signal: options.signal,
      shouldRetry: (error) => isRetryable(error),
      onFailedAttempt: (error) => {
        if (!isRetryable(error)) return; // p-retry calls this for the final, non-retried error too
        stats.retries += 1;
        client.logger?.debug({
          msg: 'rpc attempt failed',
          chain: params.chain,
          code: (error as { code?: string }).code,
          err_message: error.message,
          attempt: error.attemptNumber,
          retries_left: error.retriesLeft,
          pending_calls: call.pending.length,
        });
      },
    });
    return call.results;
  }

  return {
    chain: params.chain,
    endpoints,
    stats,
    batch,
    async request(method, callParams, options) {
      const [result] = await batch([{ method, params: callParams }], options);
      return result;
    },
    supports(method) {
      return endpoints.some((e) => !e.unsupportedMethods.has(method));
    },
  };
}

/** What every attempt of a client needs. */
interface ClientContext {
  readonly chain: string;
  readonly endpoints: readonly RpcEndpoint[];
  readonly stats: RpcClientStats;
  readonly logger: Logger | undefined;
}

/** One `batch()` call: its calls, the results so far, and the indices still to send. */
interface BatchCall {
  readonly calls: readonly RpcCall[];
  readonly results: unknown[];
  pending: number[];
  readonly signal: AbortSignal | undefined;
}

/** What one attempt's answers leave to do. */
interface AttemptOutcome {
  stillPending: number[];
  /** The first retryable failure: the attempt is retried after a backoff. */
  transient?: RpcErrorType;
  /** The first failure that is not retried (or an abort, or a bug). */
  fatal?: unknown;
  /** Batch shrunk or method missing here: go again at once, without backoff. */
  retryNow: boolean;
  shrunk: boolean;
}

const serves = (endpoint: RpcEndpoint, methods: ReadonlySet<string>): boolean => {
  for (const m of methods) if (endpoint.unsupportedMethods.has(m)) return false;
  return true;
};

const methodsOf = (call: BatchCall): Set<string> => new Set(call.pending.map((i) => call.calls[i]!.method));

/** Healthy before cooling down (soonest available first), then fewer consecutive failures, then the configured order. */
function pickEndpoint(client: ClientContext, methods: ReadonlySet<string>): RpcEndpoint {
  const now = performance.now();
  const candidates = client.endpoints.filter((e) => serves(e, methods));
  if (candidates.length === 0) throw new RpcNoEndpointError(client.chain, [...methods].join(','));
  // Cooling down: recent transient failures, or paused by a 429's Retry-After.
  const until = (e: RpcEndpoint) => Math.max(e.health.cooldownUntilMs, e.limiter.state.pausedUntilMs);
  candidates.sort((a, b) => {
    const coolA = until(a) > now ? 1 : 0;
    const coolB = until(b) > now ? 1 : 0;
    if (coolA !== coolB) return coolA - coolB;
    if (coolA === 1) return until(a) - until(b);
    return a.health.consecutiveFailures - b.health.consecutiveFailures || a.index - b.index;
  });
  return candidates[0]!;
}

/** One attempt: the pending calls to the best endpoint, in chunks of its batch size; throws what is left to retry. */
async function sendPending(client: ClientContext, call: BatchCall): Promise<void> {
  const endpoint = pickEndpoint(client, methodsOf(call));
  const size = endpoint.batchSize;
  const chunks: number[][] = [];
  for (let i = 0; i < call.pending.length; i += size) chunks.push(call.pending.slice(i, i + size));
  client.stats.httpRequests += chunks.length;
  const settled = await Promise.allSettled(
    chunks.map((chunk) =>
      endpoint.send(
        chunk.map((i) => call.calls[i]!),
        call.signal,
      ),
    ),
  );
  const outcome: AttemptOutcome = { stillPending: [], retryNow: false, shrunk: false };
  settled.forEach((answer, c) => collectAnswer(client, call, endpoint, outcome, chunks[c]!, answer));
  call.pending = outcome.stillPending;
  if (outcome.fatal !== undefined) throw outcome.fatal;
  if (outcome.transient !== undefined) throw outcome.transient;
  if (outcome.retryNow) {
    const missing = methodsOf(call);
    if (!client.endpoints.some((e) => serves(e, missing))) {
      throw new RpcMethodUnsupportedError(
        { endpoint: client.endpoints.map((e) => e.label).join(' | '), method: [...missing].join(',') },
        'no endpoint serves it',
      );
    }
    return sendPending(client, call);
  }
}

/** Results of one chunk's answer into `call.results`; failures into `outcome`. */
function collectAnswer(
  client: ClientContext,
  call: BatchCall,
  endpoint: RpcEndpoint,
  outcome: AttemptOutcome,
  chunk: readonly number[],
  answer: PromiseSettledResult<RpcCallOutcome[]>,
): void {
  if (answer.status === 'rejected') {
    const error: unknown = answer.reason;
    if (error instanceof Error && 'code' in error && 'retryable' in error)
      onCallError(client, call, endpoint, outcome, error as RpcErrorType, chunk, true);
    else outcome.fatal ??= error; // abort (shutdown) or a bug: never retried
    return;
  }
  answer.value.forEach((result, k) => {
    if (result.ok) call.results[chunk[k]!] = result.result;
    else onCallError(client, call, endpoint, outcome, result.error, [chunk[k]!], false);
  });
}

function onCallError(
  client: ClientContext,
  call: BatchCall,
  endpoint: RpcEndpoint,
  outcome: AttemptOutcome,
  error: RpcErrorType,
  indices: readonly number[],
  wholeRequest: boolean,
): void {
  client.stats.failuresByCode[error.code] = (client.stats.failuresByCode[error.code] ?? 0) + 1;
  outcome.stillPending.push(...indices);
  if (wholeRequest && indices.length > 1 && isBatchRefusal(error)) {
    // A refused batch (too large, malformed answer, invalid request) is retried in smaller batches.
    if (!outcome.shrunk) {
      outcome.shrunk = true;
      const newSize = endpoint.shrinkBatch();
      client.logger?.warn({
        msg: 'rpc batch refused, shrinking batch size',
        chain: client.chain,
        endpoint: endpoint.label,
        code: error.code,
        batch_size: newSize,
      });
    }
    outcome.retryNow = true;
  } else if (error instanceof RpcMethodUnsupportedError) {
    for (const i of indices) endpoint.markUnsupported(call.calls[i]!.method);
    outcome.retryNow = true;
  } else if (isRetryable(error)) {
    if (!(error instanceof RpcRateLimitedError)) endpoint.recordFailure();
    outcome.transient ??= error;
  } else {
    outcome.fatal ??= error;
  }
}

function isBatchRefusal(error: RpcErrorType): boolean {
  return (
    error instanceof RpcResultLimitError ||
    error.code === 'ORACUL_RPC_MALFORMED_RESPONSE' ||
    error.code === 'ORACUL_RPC_INVALID_PARAMS'
  );
}
