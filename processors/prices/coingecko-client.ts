import { setTimeout as sleep } from 'node:timers/promises';
import { isLosslessNumber, parse } from 'lossless-json';
import type { Logger } from '../../core/logger.ts';
import { backoffDelayMs } from '../../core/retry.ts';
import { jsonNumberToDecimal } from './decimal.ts';
import { PriceApiRateLimitedError, PriceApiRequestFailedError, PriceApiUnavailableError } from './errors.ts';

export interface SpotPrice {
  /** Exact decimal string as the API sent it. */
  priceUsd: string;
  /** The API's last-updated time, UTC epoch ms (the fetch time when the API does not say). */
  updatedAtMs: number;
}

export interface PricePoint {
  timestampMs: number;
  priceUsd: string;
}

export interface CoinGeckoClient {
  /** /simple/price for many ids: ids the API knows nothing about are absent from the map. */
  simplePrice(ids: readonly string[], signal?: AbortSignal): Promise<Map<string, SpotPrice>>;
  /** /coins/{id}/market_chart/range in USD between two instants (UTC epoch ms, inclusive). */
  marketChartRange(id: string, fromMs: number, toMs: number, signal?: AbortSignal): Promise<PricePoint[]>;
  readonly stats: { requests: number; rateLimited: number; retries: number };
}

export interface CreateCoinGeckoClientParameters {
  baseUrl: string;
  apiKey?: string;
  timeoutMs?: number;
  /** Retries of 429 / 5xx / network errors per request, with exponential backoff (honouring Retry-After). Default 5. */
  retries?: number;
  /** First backoff delay. Default 1 000 ms (the public API allows a few calls per minute). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  logger?: Logger;
}

/** Numbers of a parsed body: LosslessNumber keeps the source text, so prices never pass through a double. */
const num = (value: unknown, what: string): string => {
  if (isLosslessNumber(value)) return jsonNumberToDecimal(value.value);
  throw new PriceApiRequestFailedError(`${what} is not a number`);
};

/**
 * A small client for the CoinGecko v3 API (and compatible servers). The API key travels in
 * `x-cg-pro-api-key` for pro-api hosts and `x-cg-demo-api-key` otherwise, never in URLs or logs.
 */
export function createCoinGeckoClient(params: CreateCoinGeckoClientParameters): CoinGeckoClient {
  const base = params.baseUrl.replace(/\/+$/, '');
  const retries = params.retries ?? 5;
  const initialDelayMs = params.initialDelayMs ?? 1_000;
  const maxDelayMs = params.maxDelayMs ?? 60_000;
  const timeoutMs = params.timeoutMs ?? 15_000;
  const stats = { requests: 0, rateLimited: 0, retries: 0 };
  const headers: Record<string, string> = { accept: 'application/json' };
  if (params.apiKey) headers[base.includes('pro-api') ? 'x-cg-pro-api-key' : 'x-cg-demo-api-key'] = params.apiKey;

  async function getOnce(path: string, signal?: AbortSignal): Promise<unknown> {
    stats.requests += 1;
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, { headers, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (cause) {
      if (signal?.aborted) throw cause;
      throw new PriceApiUnavailableError(`price API unreachable: ${(cause as Error).message}`, { details: { path } });
    }
    const body = await response.text().catch(() => '');
    if (response.status === 429) {
      stats.rateLimited += 1;
      const retryAfter = Number(response.headers.get('retry-after'));
      throw new PriceApiRateLimitedError('price API rate limit (429)', {
        details: { path, retry_after_s: Number.isFinite(retryAfter) ? retryAfter : null },
      });
    }
    if (response.status >= 500) {
      throw new PriceApiUnavailableError(`price API answered ${response.status}`, { details: { path, status: response.status } });
    }
    if (!response.ok) {
      throw new PriceApiRequestFailedError(`price API answered ${response.status}: ${body.slice(0, 200)}`, {
        details: { path, status: response.status },
      });
    }
    try {
      return parse(body);
    } catch {
      throw new PriceApiUnavailableError('price API answered invalid JSON', { details: { path } });
    }
  }

  async function get(path: string, signal?: AbortSignal): Promise<unknown> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await getOnce(path, signal);
      } catch (error) {
        const retryable = error instanceof PriceApiRateLimitedError || error instanceof PriceApiUnavailableError;
        if (!retryable || attempt >= retries || signal?.aborted) throw error;
        const retryAfterS = error instanceof PriceApiRateLimitedError ? (error.details.retry_after_s as number | null) : null;
        const backoff = backoffDelayMs(attempt + 1, { initialDelayMs, maxDelayMs });
        const delay = retryAfterS !== null ? Math.max(retryAfterS * 1000, Math.min(backoff, 1000)) : backoff;
        stats.retries += 1;
        params.logger?.warn({
          msg: 'price API request failed; backing off',
          path: path.split('?')[0],
          attempt: attempt + 1,
          retry_in_ms: Math.round(delay),
          code: error.code,
        });
        await sleep(delay, undefined, signal ? { signal } : undefined);
      }
    }
  }

  return {
    stats,
    async simplePrice(ids, signal) {
      const query = new URLSearchParams({
        ids: ids.join(','),
        vs_currencies: 'usd',
        include_last_updated_at: 'true',
        precision: 'full',
      });
      const fetchedAt = Date.now();
      const body = await get(`/simple/price?${query}`, signal);
      if (body === null || typeof body !== 'object') throw new PriceApiRequestFailedError('simple/price: not an object');
      const out = new Map<string, SpotPrice>();
      for (const [id, entry] of Object.entries(body as Record<string, unknown>)) {
        if (entry === null || typeof entry !== 'object') continue;
        const e = entry as Record<string, unknown>;
        if (e.usd === undefined || e.usd === null) continue;
        const updated = e.last_updated_at === undefined ? null : Number(num(e.last_updated_at, `${id}.last_updated_at`));
        out.set(id, { priceUsd: num(e.usd, `${id}.usd`), updatedAtMs: updated === null ? fetchedAt : updated * 1000 });
      }
      return out;
    },
    async marketChartRange(id, fromMs, toMs, signal) {
      const query = new URLSearchParams({
        vs_currency: 'usd',
        from: String(Math.floor(fromMs / 1000)),
        to: String(Math.floor(toMs / 1000)),
        precision: 'full',
      });
      const body = (await get(`/coins/${encodeURIComponent(id)}/market_chart/range?${query}`, signal)) as { prices?: unknown };
      if (!Array.isArray(body?.prices)) throw new PriceApiRequestFailedError(`market_chart/range ${id}: no prices array`);
      return body.prices.map((point: unknown) => {
        if (!Array.isArray(point) || point.length < 2)
          throw new PriceApiRequestFailedError(`market_chart/range ${id}: bad point`);
        return { timestampMs: Number(num(point[0], 'timestamp')), priceUsd: num(point[1], 'price') };
      });
    },
  };
}
