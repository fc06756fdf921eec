import { HttpRequestError, RpcRequestError, TimeoutError } from 'viem';
import { describe, expect, it } from 'vitest';
import { classifyHttpStatus, classifyRpcErrorObject, classifyTransportError, parseRetryAfter } from './classify-error.ts';

const ctx = { endpoint: 'https://rpc.example/[hidden]', method: 'eth_getLogs' };
const code = (e: unknown) => (e as { code: string }).code;
const retryable = (e: unknown) => (e as { retryable: boolean }).retryable;

describe('classifyRpcErrorObject', () => {
  it.each([
    [
      { code: -32601, message: 'the method eth_getBlockReceipts does not exist/is not available' },
      'ORACUL_RPC_METHOD_UNSUPPORTED',
      false,
    ],
    [{ code: -32004, message: 'Method eth_getBlockReceipts is not supported' }, 'ORACUL_RPC_METHOD_UNSUPPORTED', false], // Hardhat 2
    [{ code: -32602, message: 'invalid argument 0: hex string without 0x prefix' }, 'ORACUL_RPC_INVALID_PARAMS', false],
    [{ code: 3, message: 'execution reverted: ERC20: transfer amount exceeds balance' }, 'ORACUL_RPC_EXECUTION_REVERTED', false],
    [{ code: -32005, message: 'query returned more than 10000 results' }, 'ORACUL_RPC_RESULT_LIMIT', false], // Infura
    [
      { code: -32602, message: 'Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range' },
      'ORACUL_RPC_RESULT_LIMIT',
      false,
    ],
    [{ code: -32000, message: 'block range is too wide' }, 'ORACUL_RPC_RESULT_LIMIT', false],
    [{ code: -32005, message: 'daily request count exceeded, request rate limited' }, 'ORACUL_RPC_RATE_LIMITED', true],
    [{ code: 429, message: 'Your app has exceeded its compute units per second capacity' }, 'ORACUL_RPC_RATE_LIMITED', true],
    [{ code: -32000, message: 'header not found' }, 'ORACUL_RPC_TRANSIENT', true],
    [{ code: -32603, message: 'internal error' }, 'ORACUL_RPC_TRANSIENT', true],
    [{ code: -32000, message: 'nonce too low' }, 'ORACUL_RPC_REQUEST_FAILED', false],
  ])('%j → %s', (error, expected, isRetryable) => {
    const classified = classifyRpcErrorObject(error, ctx);
    expect(code(classified)).toBe(expected);
    expect(retryable(classified)).toBe(isRetryable);
    expect(classified.details.endpoint).toBe(ctx.endpoint);
  });

  it('uses the HTTP status for an unknown JSON-RPC error on a 5xx', () => {
    expect(code(classifyRpcErrorObject({ code: -32099, message: 'upstream' }, ctx, { status: 503 }))).toBe(
      'ORACUL_RPC_SERVER_ERROR',
    );
  });
});

describe('classifyHttpStatus', () => {
  it('retries 429 (with Retry-After), 5xx and 408; not 401/403', () => {
    const limited = classifyHttpStatus(429, ctx, 2000, '');
    expect([code(limited), retryable(limited), (limited as { retryAfterMs?: number }).retryAfterMs]).toEqual([
      'ORACUL_RPC_RATE_LIMITED',
      true,
      2000,
    ]);
    for (const status of [500, 502, 503, 504, 408]) expect(retryable(classifyHttpStatus(status, ctx, undefined, ''))).toBe(true);
    for (const status of [401, 403]) expect(retryable(classifyHttpStatus(status, ctx, undefined, 'forbidden'))).toBe(false);
    expect(code(classifyHttpStatus(413, ctx, undefined, ''))).toBe('ORACUL_RPC_RESULT_LIMIT');
  });
});

describe('classifyTransportError', () => {
  it('maps viem errors and socket failures', () => {
    const url = 'https://user:secret@rpc.example/v3/0123456789abcdef0123456789abcdef';
    expect(code(classifyTransportError(new TimeoutError({ body: {}, url }), ctx, 5000))).toBe('ORACUL_RPC_TIMEOUT');
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const fetchFailed = new TypeError('fetch failed', { cause: reset });
    const connection = classifyTransportError(new HttpRequestError({ url, cause: fetchFailed }), ctx, 5000);
    expect([code(connection), retryable(connection)]).toEqual(['ORACUL_RPC_CONNECTION_FAILED', true]);
    expect(connection.message).toContain('ECONNRESET');
    const headers = new Headers({ 'retry-after': '3' });
    const limited = classifyTransportError(
      new HttpRequestError({ url, status: 429, headers, details: 'Too Many Requests' }),
      ctx,
      5000,
    );
    expect((limited as { retryAfterMs?: number }).retryAfterMs).toBe(3000);
    const rpc = classifyTransportError(
      new RpcRequestError({ url, body: {}, error: { code: -32601, message: 'method not found' } }),
      ctx,
      5000,
    );
    expect(code(rpc)).toBe('ORACUL_RPC_METHOD_UNSUPPORTED');
    // The raw URL (credentials, key) never reaches our messages or details.
    for (const e of [connection, limited, rpc])
      expect(JSON.stringify([e.message, (e as { details?: unknown }).details])).not.toMatch(/secret|0123456789abcdef/);
  });

  it('passes abort errors through unclassified', () => {
    const abort = new DOMException('aborted', 'AbortError');
    expect(classifyTransportError(abort, ctx, 1)).toBe(abort);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
