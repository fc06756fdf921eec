/**
 * Maps what an endpoint did (a JSON-RPC error object, an HTTP status, a viem
 * transport error, a socket failure) to one typed error of ./errors.ts. Pure: the
 * retry verdict is decided here, once, and never by string matching at call sites.
 */
import { HttpRequestError, ResponseBodyTooLargeError, RpcRequestError, TimeoutError } from 'viem';
import {
  RpcConnectionError,
  RpcExecutionRevertedError,
  RpcInvalidParamsError,
  RpcMalformedResponseError,
  RpcMethodUnsupportedError,
  RpcRateLimitedError,
  RpcRequestFailedError,
  RpcResultLimitError,
  RpcServerError,
  RpcTimeoutError,
  RpcTransientError,
  type RpcErrorContext,
  type RpcErrorType,
} from './errors.ts';

/** A JSON-RPC 2.0 error object as found in a response's `error` member. */
export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export function isJsonRpcErrorObject(value: unknown): value is JsonRpcErrorObject {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'number' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

// Provider wordings for "your answer would be too big" (Infura, Alchemy, QuickNode, Ankr, geth, erigon, Chainstack...).
const RESULT_LIMIT =
  /more than \d+ results|too many results|query exceeds max results|response size (?:exceeded|should not|is too large)|log response size|block range (?:is )?too (?:large|wide)|range (?:is )?too large|exceed(?:s|ed)? (?:the )?max(?:imum)? (?:block )?range|block range limit|limited to a [\d,]+ (?:block )?range|returned too many|max(?:imum)? (?:results|logs) (?:per|exceeded)|batch (?:size |request )?(?:is )?(?:too large|limit|exceed)|too many (?:requests|calls) in (?:a |the )?batch/i;
const METHOD_UNSUPPORTED =
  /method .{0,60}(?:not (?:found|supported|available|exist|allowed|enabled))|(?:does not exist|is not available)|unsupported method|not supported|unknown method|no such method/i;
const RATE_LIMITED =
  /rate.?limit|too many requests|exceeded .{0,40}(?:capacity|quota|throughput|compute units)|compute units|request limit|daily limit|credits? (?:exhausted|exceeded)|throttl/i;
const REVERTED = /execution reverted|\brevert(?:ed)?\b|vm exception/i;
// Answers of nodes that are syncing or behind a load balancer: the same call succeeds on another node or a bit later.
const TRANSIENT =
  /header not found|unknown block|block not found|missing trie node|try again|temporar|timed? ?out|busy|overload|unavailable|not ready|syncing/i;

/**
 * Classifies a JSON-RPC error object (from a single response or one element of a batch).
 * `httpStatus` is the status of the HTTP response that carried it, if it was not 2xx.
 */
export function classifyRpcErrorObject(
  error: JsonRpcErrorObject,
  ctx: RpcErrorContext,
  http: { status?: number; retryAfterMs?: number } = {},
): RpcErrorType {
  const context: RpcErrorContext = {
    ...ctx,
    rpcCode: error.code,
    ...(http.status === undefined ? {} : { httpStatus: http.status }),
  };
  const message = truncate(error.message);
  // Order matters: -32005 means "limit exceeded" for both result limits and rate limits.
  if (RESULT_LIMIT.test(error.message)) return new RpcResultLimitError(context, message);
  if (error.code === -32601 || error.code === -32004 || METHOD_UNSUPPORTED.test(error.message)) {
    return new RpcMethodUnsupportedError(context, message);
  }
  if (http.status === 429 || error.code === 429 || error.code === -32005 || RATE_LIMITED.test(error.message)) {
    return new RpcRateLimitedError(context, http.retryAfterMs ?? retryAfterFromData(error.data), message);
  }
  if (error.code === 3 || REVERTED.test(error.message)) return new RpcExecutionRevertedError(context, message);
  if (error.code === -32602 || error.code === -32600 || error.code === -32700) return new RpcInvalidParamsError(context, message);
  if (error.code === -32603 || TRANSIENT.test(error.message)) return new RpcTransientError(context, message);
  if (http.status !== undefined && (http.status >= 500 || http.status === 408)) return new RpcServerError(context, message);
  return new RpcRequestFailedError(context, message);
}

/** Classifies an HTTP response that carried no JSON-RPC error object. */
export function classifyHttpStatus(
  status: number,
  ctx: RpcErrorContext,
  retryAfterMs: number | undefined,
  body: string,
): RpcErrorType {
  const context: RpcErrorContext = { ...ctx, httpStatus: status };
  const reason = `HTTP ${status}${body ? `: ${truncate(body)}` : ''}`;
  if (status === 429) return new RpcRateLimitedError(context, retryAfterMs, reason);
  if (status >= 500 || status === 408) return new RpcServerError(context, reason);
  // 413: the batch (request) is too large; the caller splits it.
  if (status === 413) return new RpcResultLimitError(context, reason);
  if (RESULT_LIMIT.test(body)) return new RpcResultLimitError(context, reason);
  if (RATE_LIMITED.test(body)) return new RpcRateLimitedError(context, retryAfterMs, reason);
  // 401/403 and other 4xx: a wrong key or a refused method; retrying cannot fix configuration.
  return new RpcRequestFailedError(context, reason);
}

/**
 * Classifies anything thrown while talking to an endpoint: viem's transport errors,
 * socket failures, JSON parse failures. Abort errors are returned unchanged so a
 * shutdown is never mistaken for a transient failure.
 */
export function classifyTransportError(error: unknown, ctx: RpcErrorContext, timeoutMs: number): RpcErrorType | Error {
  if (isAbortError(error)) return error as Error;
  if (error instanceof TimeoutError) return new RpcTimeoutError(ctx, timeoutMs);
  if (error instanceof ResponseBodyTooLargeError)
    return new RpcResultLimitError(ctx, `response body over ${error.maxSize} bytes`);
  if (error instanceof RpcRequestError) {
    return classifyRpcErrorObject({ code: error.code, message: error.details, data: error.data }, ctx, {
      ...(error.status === undefined ? {} : { status: error.status }),
      ...retryAfterOf(error.headers),
    });
  }
  if (error instanceof HttpRequestError) {
    if (error.status !== undefined) {
      return classifyHttpStatus(error.status, ctx, retryAfterOf(error.headers).retryAfterMs, error.details);
    }
    return classifyCause(error.cause ?? error, ctx);
  }
  return classifyCause(error, ctx);
}

function classifyCause(error: unknown, ctx: RpcErrorContext): RpcErrorType {
  const chain = causeChain(error);
  if (chain.some((e) => e instanceof SyntaxError)) return new RpcMalformedResponseError(ctx, 'invalid JSON');
  const code = chain.map((e) => (e as { code?: unknown }).code).find((c): c is string => typeof c === 'string');
  const message = chain.map((e) => e.message).find((m) => m.length > 0) ?? 'unknown';
  if (/Expected \d+ responses to batch/i.test(message))
    return new RpcMalformedResponseError(ctx, 'batch answered with a single response');
  return new RpcConnectionError(ctx, code ?? truncate(message));
}

function causeChain(error: unknown): Error[] {
  const out: Error[] = [];
  let current: unknown = error;
  while (current instanceof Error && out.length < 8) {
    out.push(current);
    current = current.cause;
  }
  return out;
}

function isAbortError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}

/** Parses Retry-After (delta-seconds or HTTP date) into milliseconds from now. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

function retryAfterOf(headers: Headers | undefined): { retryAfterMs?: number } {
  const ms = parseRetryAfter(headers?.get('retry-after'));
  return ms === undefined ? {} : { retryAfterMs: ms };
}

// Some providers put `{ retryAfter: seconds }` or `{ backoff_seconds }` in error.data.
function retryAfterFromData(data: unknown): number | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const record = data as Record<string, unknown>;
  const seconds = record.retryAfter ?? record.retry_after ?? record.backoff_seconds;
  return typeof seconds === 'number' && seconds >= 0 ? seconds * 1000 : undefined;
}

function truncate(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
