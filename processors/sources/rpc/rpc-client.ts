/**
 * The chain-facing JSON-RPC client: several endpoints with ranked failover,
 * retries with exponential backoff and jitter for transient errors only (p-retry),
 * an AIMD rate per endpoint, explicit JSON-RPC batching.
 *
 * Why not viem's `fallback` transport: it retries and fails over on its own terms
 * (no Retry-After, no per-endpoint rate, batch elements cannot fail over one by
 * one, and it cannot tell which endpoint lacks a method). Here each HTTP request
 * goes to one ranked endpoint through viem's HTTP JSON-RPC client, and only the
 * calls that failed transiently are sent again, possibly elsewhere.
 */
import pRetry from 'p-retry';
import { isRetryable } from '../../../core/errors.ts';
import type { Logger } from '../../../core/logger.ts';
import { createRpcEndpoint, type RpcCall, type RpcEndpoint, type RpcEndpointOptions } from './endpoint.ts';
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
  const logger = params.logger;
  const stats: RpcClientStats = { calls: 0, httpRequests: 0, retries: 0, failuresByCode: {} };

  const serves = (endpoint: RpcEndpoint, methods: ReadonlySet<string>) => {
    for (const m of methods) if (endpoint.unsupportedMethods.has(m)) return false;
    return true;
  };

  /** Healthy before cooling down (soonest available first), then fewer consecutive failures, then the configured order. */
  const pick = (methods: ReadonlySet<string>): RpcEndpoint => {
    const now = performance.now();
    const candidates = endpoints.filter((e) => serves(e, methods));
    if (candidates.length === 0) throw new RpcNoEndpointError(params.chain, [...methods].join(','));
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
  };

  const count = (error: RpcErrorType) => {
    stats.failuresByCode[error.code] = (stats.failuresByCode[error.code] ?? 0) + 1;
  };

  async function batch(calls: readonly RpcCall[], options: { signal?: AbortSignal } = {}): Promise<unknown[]> {
    if (calls.length === 0) return [];
    const results: unknown[] = new Array(calls.length);
    let pending = calls.map((_, i) => i);
    stats.calls += calls.length;

    const attempt = async (): Promise<void> => {
      const methods = new Set(pending.map((i) => calls[i]!.method));
      const endpoint = pick(methods);
      const size = endpoint.batchSize;
      const chunks: number[][] = [];
      for (let i = 0; i < pending.length; i += size) chunks.push(pending.slice(i, i + size));
      stats.httpRequests += chunks.length;

      const settled = await Promise.allSettled(
        chunks.map((chunk) =>
          endpoint.send(
            chunk.map((i) => calls[i]!),
            options.signal,
          ),
        ),
      );
      const stillPending: number[] = [];
      let transient: RpcErrorType | undefined;
      let fatal: unknown;
      let retryNow = false; // batch shrunk or method missing here: go again at once, without backoff
      let shrunk = false;

      const onError = (error: RpcErrorType, indices: readonly number[], wholeRequest: boolean) => {
        count(error);
        stillPending.push(...indices);
        if (wholeRequest && indices.length > 1 && isBatchRefusal(error)) {
          // A refused batch (too large, malformed answer, invalid request) is retried in smaller batches.
          if (!shrunk) {
            shrunk = true;
            const newSize = endpoint.shrinkBatch();
            logger?.warn({
              msg: 'rpc batch refused, shrinking batch size',
              chain: params.chain,
              endpoint: endpoint.label,
              code: error.code,
              batch_size: newSize,
            });
          }
          retryNow = true;
        } else if (error instanceof RpcMethodUnsupportedError) {
          for (const i of indices) endpoint.markUnsupported(calls[i]!.method);
          retryNow = true;
        } else if (isRetryable(error)) {
          if (!(error instanceof RpcRateLimitedError)) endpoint.recordFailure();
          transient ??= error;
        } else {
          fatal ??= error;
        }
      };

      settled.forEach((outcome, c) => {
        const chunk = chunks[c]!;
        if (outcome.status === 'rejected') {
          const error: unknown = outcome.reason;
          if (error instanceof Error && 'code' in error && 'retryable' in error) onError(error as RpcErrorType, chunk, true);
          else fatal ??= error; // abort (shutdown) or a bug: never retried
          return;
        }
        outcome.value.forEach((result, k) => {
          if (result.ok) results[chunk[k]!] = result.result;
          else onError(result.error, [chunk[k]!], false);
        });
      });

      pending = stillPending;
      if (fatal !== undefined) throw fatal;
      if (transient !== undefined) throw transient;
      if (retryNow) {
        const missing = new Set(pending.map((i) => calls[i]!.method));
        if (!endpoints.some((e) => serves(e, missing))) {
          throw new RpcMethodUnsupportedError(
            { endpoint: endpoints.map((e) => e.label).join(' | '), method: [...missing].join(',') },
            'no endpoint serves it',
          );
        }
        return attempt();
      }
    };

    await pRetry(attempt, {
      retries: retry.retries,
      factor: retry.factor,
      minTimeout: retry.minDelayMs,
      maxTimeout: retry.maxDelayMs,
      randomize: true, // jitter: delay × random(1, 2), so clients that failed together do not retry together
      ...(options.signal ? { signal: options.signal } : {}),
      shouldRetry: (error) => isRetryable(error),
      onFailedAttempt: (error) => {
        if (!isRetryable(error)) return; // p-retry calls this for the final, non-retried error too
        stats.retries += 1;
        logger?.debug({
          msg: 'rpc attempt failed',
          chain: params.chain,
          code: (error as { code?: string }).code,
          err_message: error.message,
          attempt: error.attemptNumber,
          retries_left: error.retriesLeft,
          pending_calls: pending.length,
        });
      },
    });
    return results;
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

function isBatchRefusal(error: RpcErrorType): boolean {
  return (
    error instanceof RpcResultLimitError ||
    error.code === 'ORACUL_RPC_MALFORMED_RESPONSE' ||
    error.code === 'ORACUL_RPC_INVALID_PARAMS'
  );
}
