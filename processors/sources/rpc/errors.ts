/**
 * Errors of the JSON-RPC layer, on the core taxonomy. The class decides the retry
 * verdict: transient failures (timeouts, 5xx, 429, dropped connections) are
 * RetryableError, deterministic answers (unknown method, invalid params, revert,
 * result limits) are NonRetryableError. `details.endpoint` is always a redacted URL.
 */
import { NonRetryableError, RetryableError, type OraculErrorOptions } from '../../../core/errors.ts';

/** Where a failure happened, safe to log: the endpoint URL is already redacted. */
export interface RpcErrorContext {
  /** Redacted endpoint URL (no credentials, no key-like path segments, no query values). */
  endpoint: string;
  /** JSON-RPC method, or `batch(n)` for a whole-batch failure. */
  method: string;
  /** JSON-RPC error code, when the endpoint answered with one. */
  rpcCode?: number;
  /** HTTP status, when the failure came with one. */
  httpStatus?: number;
}

function options(ctx: RpcErrorContext, extra: Record<string, unknown> = {}, cause?: unknown): OraculErrorOptions {
  const details: Record<string, unknown> = { endpoint: ctx.endpoint, method: ctx.method, ...extra };
  if (ctx.rpcCode !== undefined) details.rpc_code = ctx.rpcCode;
  if (ctx.httpStatus !== undefined) details.http_status = ctx.httpStatus;
  return cause === undefined ? { details } : { details, cause };
}

/** The endpoint did not answer within the request timeout (hung request, slow node). */
export class RpcTimeoutError extends RetryableError {
  override readonly name = 'RpcTimeoutError';
  constructor(
    readonly context: RpcErrorContext,
    timeoutMs: number,
  ) {
    super(
      'ORACUL_RPC_TIMEOUT',
      `${context.method} on ${context.endpoint} timed out after ${timeoutMs} ms`,
      options(context, { timeout_ms: timeoutMs }),
    );
  }
}

/** HTTP 429 or a JSON-RPC "rate limit / capacity exceeded" answer. */
export class RpcRateLimitedError extends RetryableError {
  override readonly name = 'RpcRateLimitedError';
  constructor(
    readonly context: RpcErrorContext,
    /** Parsed Retry-After, when the endpoint sent one. */
    readonly retryAfterMs: number | undefined,
    reason: string,
  ) {
    super(
      'ORACUL_RPC_RATE_LIMITED',
      `${context.method} on ${context.endpoint} rate limited: ${reason}`,
      options(context, { retry_after_ms: retryAfterMs }),
    );
  }
}

/** HTTP 5xx (or 408) without a deterministic JSON-RPC error in the body. */
export class RpcServerError extends RetryableError {
  override readonly name = 'RpcServerError';
  constructor(
    readonly context: RpcErrorContext,
    reason: string,
  ) {
    super('ORACUL_RPC_SERVER_ERROR', `${context.method} on ${context.endpoint} failed: ${reason}`, options(context));
  }
}

/** The connection was refused, reset or closed before a complete response arrived. */
export class RpcConnectionError extends RetryableError {
  override readonly name = 'RpcConnectionError';
  constructor(
    readonly context: RpcErrorContext,
    reason: string,
  ) {
    super(
      'ORACUL_RPC_CONNECTION_FAILED',
      `${context.method} on ${context.endpoint}: connection failed (${reason})`,
      options(context),
    );
  }
}

/** A JSON-RPC error that nodes return while catching up or behind a load balancer ("header not found"). */
export class RpcTransientError extends RetryableError {
  override readonly name = 'RpcTransientError';
  constructor(
    readonly context: RpcErrorContext,
    reason: string,
  ) {
    super('ORACUL_RPC_TRANSIENT', `${context.method} on ${context.endpoint}: ${reason}`, options(context));
  }
}

/** The endpoint does not serve this method (-32601, "not supported", "does not exist"). */
export class RpcMethodUnsupportedError extends NonRetryableError {
  override readonly name = 'RpcMethodUnsupportedError';
  constructor(
    readonly context: RpcErrorContext,
    reason: string,
  ) {
    super(
      'ORACUL_RPC_METHOD_UNSUPPORTED',
      `${context.method} is not supported by ${context.endpoint}: ${reason}`,
      options(context),
    );
  }
}

/** -32602 and friends: the request itself is wrong; every endpoint will say the same. */
export class RpcInvalidParamsError extends NonRetryableError {
  override readonly name = 'RpcInvalidParamsError';
  constructor(
    readonly context: RpcErrorContext,
    reason: string,
  ) {
    super('ORACUL_RPC_INVALID_PARAMS', `${context.method} rejected by ${context.endpoint}: ${reason}`, options(context));
  }
}

/** eth_call / estimateGas reverted: a property of the chain state, not of the endpoint. */
export class RpcExecutionRevertedError extends NonRetryableError {
  override readonly name = 'RpcExecutionRevertedError';
  constructor(
    readonly context: RpcErrorContext,
    reason: string,
  ) {
    super('ORACUL_RPC_EXECUTION_REVERTED', `${context.method} reverted: ${reason}`, options(context));
  }
}

/**
 * The answer would exceed a provider limit ("query returned more than 10000 results",
 * "block range too large", response body too large). Retrying the same call cannot
 * help; the caller splits the request (eth_getLogs range halving).
 */
export class RpcResultLimitError extends NonRetryableError {
  override readonly name = 'RpcResultLimitError';
  constructor(
    readonly context: RpcErrorContext,
    reason: string,
  ) {
    super(
      'ORACUL_RPC_RESULT_LIMIT',
      `${context.method} on ${context.endpoint} exceeds a provider limit: ${reason}`,
      options(context),
    );
  }
}

/** Any other JSON-RPC error: deterministic until proven otherwise. */
export class RpcRequestFailedError extends NonRetryableError {
  override readonly name = 'RpcRequestFailedError';
  constructor(
    readonly context: RpcErrorContext,
    reason: string,
  ) {
    super('ORACUL_RPC_REQUEST_FAILED', `${context.method} on ${context.endpoint} failed: ${reason}`, options(context));
  }
}

/** The endpoint answered something that is not valid JSON-RPC for the call (wrong shape, missing ids). */
export class RpcMalformedResponseError extends RetryableError {
  override readonly name = 'RpcMalformedResponseError';
  constructor(
    readonly context: RpcErrorContext,
    reason: string,
  ) {
    // Retryable: a truncated body or a proxy's HTML error page is usually a one-off.
    super(
      'ORACUL_RPC_MALFORMED_RESPONSE',
      `${context.method} on ${context.endpoint}: malformed response (${reason})`,
      options(context),
    );
  }
}

/** Every configured endpoint is known not to serve the method. */
export class RpcNoEndpointError extends NonRetryableError {
  override readonly name = 'RpcNoEndpointError';
  constructor(chain: string, method: string) {
    super('ORACUL_RPC_NO_ENDPOINT', `no endpoint of chain ${chain} serves ${method}`, { details: { chain, method } });
  }
}

/** The union of errors `RpcClient.request` and `RpcClient.batch` reject with. */
export type RpcErrorType =
  | RpcTimeoutError
  | RpcRateLimitedError
  | RpcServerError
  | RpcConnectionError
  | RpcTransientError
  | RpcMethodUnsupportedError
  | RpcInvalidParamsError
  | RpcExecutionRevertedError
  | RpcResultLimitError
  | RpcRequestFailedError
  | RpcMalformedResponseError
  | RpcNoEndpointError;
