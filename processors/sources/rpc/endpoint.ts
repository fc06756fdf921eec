/**
 * One JSON-RPC endpoint: viem's HTTP JSON-RPC client (fetch, timeout, body limit,
 * basic-auth from the URL) behind an AIMD rate limiter, with the health and
 * capability facts the failover client ranks endpoints by. `send` makes exactly
 * one HTTP request (one call, or one batch) and never retries: retries belong to
 * the client, which can move them to another endpoint.
 */
import { getHttpRpcClient } from 'viem/utils';
import { redactRpcUrl } from '../../../config/redact.ts';
import { observeRpcRequest } from '../../../core/metrics/index.ts';
import { backoffDelayMs } from '../../../core/retry.ts';
import { createHttpFetch } from './http-fetch.ts';
import { createAimdRateLimiter, type AimdRateLimiter, type AimdRateLimiterOptions } from './aimd-rate-limiter.ts';
import { classifyRpcErrorObject, classifyTransportError, isJsonRpcErrorObject } from './classify-error.ts';
import { RpcMalformedResponseError, RpcRateLimitedError, RpcTimeoutError, type RpcErrorType } from './errors.ts';

/** How long an endpoint is ranked last after consecutive transient failures: 250 ms, doubling, at most 30 s (no jitter: ranking only). */
const COOLDOWN = { initialDelayMs: 250, maxDelayMs: 30_000, randomize: false } as const;

/** One JSON-RPC call, params already JSON-ready (hex quantities, not bigint). */
export interface RpcCall {
  method: string;
  params: readonly unknown[];
}

/** Per-call result of one HTTP request: a batch can partly fail. */
export type RpcCallOutcome = { ok: true; result: unknown } | { ok: false; error: RpcErrorType };

export interface RpcEndpointOptions {
  /** Endpoint URL; may embed credentials or an API key, so it is never logged as is. */
  url: string;
  /** Per HTTP request; a hung request is aborted after this. Default 10 000 ms. */
  timeoutMs?: number;
  /** Calls per HTTP request; 1 disables JSON-RPC batching. Halved automatically when the endpoint refuses a batch. Default 50. */
  maxBatchSize?: number;
  /** Largest response body accepted; a larger one is a result-limit error (the caller splits). Default 64 MiB. */
  maxResponseBytes?: number;
  /** Adaptive rate (calls per second). Defaults: initial 25, min 1, max 500. */
  rate?: Partial<AimdRateLimiterOptions>;
  /**
   * HTTP requests in flight at once. Bounds the herd a retry of a large batch would
   * send, so requests queue here rather than time out in sockets. Default 8.
   */
  maxConcurrency?: number;
}

export interface RpcEndpointHealth {
  consecutiveFailures: number;
  /** The endpoint is ranked last until this time (performance.now() clock) after transient failures. */
  cooldownUntilMs: number;
  /** Exponentially weighted moving average of successful request latency. */
  latencyEwmaMs: number | undefined;
  requests: number;
  failures: number;
}

export interface RpcEndpoint {
  /** Position in the configured list: the operator's preference order. */
  readonly index: number;
  /** Redacted URL, the only form of the URL that reaches logs and errors. */
  readonly label: string;
  readonly timeoutMs: number;
  /** Current batch size limit (1 once the endpoint refused batches). */
  readonly batchSize: number;
  readonly health: Readonly<RpcEndpointHealth>;
  readonly limiter: AimdRateLimiter;
  /** Methods this endpoint answered "method not found / not supported" for. */
  readonly unsupportedMethods: ReadonlySet<string>;
  send(calls: readonly RpcCall[], signal?: AbortSignal): Promise<RpcCallOutcome[]>;
  markUnsupported(method: string): void;
  /** Halves the batch size after the endpoint refused a batch as too large or malformed. */
  shrinkBatch(): number;
  /** Sets the batch size (1 when capability detection found batches unsupported). */
  setBatchSize(size: number): void;
  /** Records a transient failure: ranks the endpoint down for a short, growing cooldown. */
  recordFailure(): void;
}

const DEFAULT_RATE = { initialRps: 25, minRps: 1, maxRps: 500 };

export function createRpcEndpoint(index: number, options: RpcEndpointOptions): RpcEndpoint {
  // Provider keys often sit in the path (`/v2/<key>`): the label in logs and metrics hides every path segment.
  const label = redactRpcUrl(options.url);
  const timeoutMs = options.timeoutMs ?? 10_000;
  let batchSize = Math.max(1, options.maxBatchSize ?? 50);
  const limiter = createAimdRateLimiter({ ...DEFAULT_RATE, ...options.rate });
  const http = getHttpRpcClient(options.url, {
    timeout: timeoutMs,
    // The size limit is enforced while reading, by the endpoint's own fetch; viem then decodes one buffer.
    fetchFn: createHttpFetch({
      maxBytes: options.maxResponseBytes ?? 64 * 1024 * 1024,
      maxSockets: Math.max(1, options.maxConcurrency ?? 8),
    }),
    maxResponseBodySize: false,
  });
  const unsupported = new Set<string>();
  const health: RpcEndpointHealth = {
    consecutiveFailures: 0,
    cooldownUntilMs: 0,
    latencyEwmaMs: undefined,
    requests: 0,
    failures: 0,
  };
  let nextId = 1;
  const slots = createSemaphore(Math.max(1, options.maxConcurrency ?? 8));

  const endpoint: RpcEndpoint = {
    index,
    label,
    timeoutMs,
    get batchSize() {
      return batchSize;
    },
    health,
    limiter,
    unsupportedMethods: unsupported,
    markUnsupported(method) {
      unsupported.add(method);
    },
    shrinkBatch() {
      batchSize = Math.max(1, Math.floor(batchSize / 2));
      return batchSize;
    },
    setBatchSize(size) {
      batchSize = Math.max(1, Math.floor(size));
    },
    recordFailure() {
      health.failures += 1;
      health.consecutiveFailures += 1;
      const cooldown = backoffDelayMs(health.consecutiveFailures, COOLDOWN);
      health.cooldownUntilMs = performance.now() + cooldown;
    },
    async send(calls, signal) {
      if (calls.length === 0) return [];
      await limiter.acquire(calls.length, signal);
      // The timeout starts once a slot is free: waiting for our own concurrency limit is not the endpoint's slowness.
      const release = await slots.acquire(signal);
      try {
        return await sendNow(calls, signal);
      } finally {
        release();
      }
    },
  };

  async function sendNow(calls: readonly RpcCall[], signal: AbortSignal | undefined): Promise<RpcCallOutcome[]> {
    health.requests += 1;
    const method = calls.length === 1 ? calls[0]!.method : `batch(${calls.length})`;
    const ctx = { endpoint: label, method };
    const firstId = nextId;
    nextId += calls.length;
    const bodies = calls.map((call, i) => ({ method: call.method, params: [...call.params], id: firstId + i }));
    const started = performance.now();
    let raw: unknown;
    try {
      raw =
        bodies.length === 1
          ? await http.request({ body: bodies[0]!, fetchOptions: signal ? { signal } : undefined })
          : await http.request({ body: bodies, fetchOptions: signal ? { signal } : undefined });
    } catch (error) {
      const classified = classifyTransportError(error, ctx, timeoutMs);
      observeRpcRequest(options.url, calls, performance.now() - started, [classified]);
      if (classified instanceof RpcRateLimitedError) limiter.onCongestion(classified.retryAfterMs);
      else if (classified instanceof RpcTimeoutError) limiter.onCongestion();
      throw classified;
    }
    let outcomes: RpcCallOutcome[];
    try {
      outcomes = matchResponses(raw, calls, firstId, label);
    } catch (refusal) {
      observeRpcRequest(options.url, calls, performance.now() - started, [refusal]);
      if (refusal instanceof RpcRateLimitedError) limiter.onCongestion(refusal.retryAfterMs);
      throw refusal;
    }
    observeRpcRequest(options.url, calls, performance.now() - started, outcomes);
    let rateLimited = false;
    for (const outcome of outcomes) {
      if (outcome.ok) limiter.onSuccess();
      else if (outcome.error instanceof RpcRateLimitedError) {
        rateLimited = true;
        limiter.onCongestion(outcome.error.retryAfterMs);
      }
    }
    if (!rateLimited) {
      const latency = performance.now() - started;
      health.latencyEwmaMs = health.latencyEwmaMs === undefined ? latency : health.latencyEwmaMs * 0.8 + latency * 0.2;
      health.consecutiveFailures = 0;
      health.cooldownUntilMs = 0;
    }
    return outcomes;
  }
  return endpoint;
}

/** A counting semaphore; waiters are served in order. */
function createSemaphore(size: number) {
  let free = size;
  const waiters: (() => void)[] = [];
  const release = () => {
    const next = waiters.shift();
    if (next) next();
    else free += 1;
  };
  return {
    async acquire(signal?: AbortSignal): Promise<() => void> {
      if (free > 0) {
        free -= 1;
        return release;
      }
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          const i = waiters.indexOf(grant);
          if (i >= 0) waiters.splice(i, 1);
          reject(signal?.reason);
        };
        const grant = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        waiters.push(grant);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      return release;
    },
  };
}

/** Pairs responses with calls by id (batch answers may come in any order); throws when the whole batch was refused. */
function matchResponses(raw: unknown, calls: readonly RpcCall[], firstId: number, label: string): RpcCallOutcome[] {
  const responses = Array.isArray(raw) ? (raw as unknown[]) : [raw];
  const byId = new Map<number, Record<string, unknown>>();
  for (const response of responses) {
    if (typeof response !== 'object' || response === null) continue;
    const id = (response as { id?: unknown }).id;
    if (typeof id === 'number') byId.set(id, response as Record<string, unknown>);
  }
  // No usable id (id: null): a single response answers a single call, and a lone error
  // answers a whole batch the endpoint refused (batch too large, batches disabled).
  const first = responses[0];
  if (byId.size === 0 && typeof first === 'object' && first !== null) {
    const lone = first as Record<string, unknown>;
    if (calls.length === 1) byId.set(firstId, lone);
    else if (isJsonRpcErrorObject(lone.error) && responses.every((r) => r === first || responses.length === 1)) {
      throw classifyRpcErrorObject(lone.error, { endpoint: label, method: `batch(${calls.length})` });
    } else
      throw new RpcMalformedResponseError({ endpoint: label, method: `batch(${calls.length})` }, 'batch answered without ids');
  }
  return calls.map((call, i): RpcCallOutcome => {
    const ctx = { endpoint: label, method: call.method };
    const response = byId.get(firstId + i);
    if (response === undefined) return { ok: false, error: new RpcMalformedResponseError(ctx, 'no response for this call') };
    if ('error' in response && response.error !== undefined && response.error !== null) {
      return isJsonRpcErrorObject(response.error)
        ? { ok: false, error: classifyRpcErrorObject(response.error, ctx) }
        : { ok: false, error: new RpcMalformedResponseError(ctx, 'error member is not a JSON-RPC error object') };
    }
    if (!('result' in response)) return { ok: false, error: new RpcMalformedResponseError(ctx, 'neither result nor error') };
    return { ok: true, result: response.result };
  });
}
