import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka, Producer } from 'kafkajs';
import type { OraculConfig } from '../../config/schema.ts';
import type { Common } from '../../core/common.ts';
import { errorCode } from '../../core/errors.ts';
import { createKafka } from '../../core/kafka/client.ts';
import { componentLogger, type Logger } from '../../core/logger.ts';
import { DAY_MS, epochDayOf, parseIsoDay } from '../../core/time.ts';
import { topicKeys, type PriceTick, type Serdes } from '../../schemas/index.ts';
import { createCoinGeckoClient, type CoinGeckoClient } from './coingecko-client.ts';

type TokenConfig = OraculConfig['tokens'][number];

export const SOURCE_SPOT = 'coingecko:simple_price';
export const SOURCE_RANGE = 'coingecko:market_chart_range';

export interface PriceSourceOptions {
  serdes: Serdes;
  kafka?: Kafka;
  /** Default config.tokens. */
  tokens?: readonly TokenConfig[];
  client?: CoinGeckoClient;
  signal?: AbortSignal;
}

interface Context {
  logger: Logger;
  client: CoinGeckoClient;
  tokens: readonly TokenConfig[];
  chainIdOf: (token: TokenConfig) => number;
  producer: Producer;
  publish: (ticks: PriceTick[]) => Promise<void>;
  close: () => Promise<void>;
}

async function context(common: Common, options: PriceSourceOptions, component: string): Promise<Context> {
  const { config } = common;
  const logger = componentLogger(common.logger, component);
  const client =
    options.client ?? createCoinGeckoClient({ baseUrl: config.prices.baseUrl, apiKey: config.prices.apiKey, logger });
  const tokens = options.tokens ?? config.tokens;
  const chainIds = new Map(config.chains.map((c) => [c.name, c.chainId]));
  const chainIdOf = (token: TokenConfig) => chainIds.get(token.chain) ?? (token.chain === 'mainnet' ? 1 : Number.NaN);
  for (const t of tokens) {
    if (!Number.isFinite(chainIdOf(t))) throw new RangeError(`token ${t.symbol}: chain ${t.chain} is not in config.chains`);
  }
  const kafka = options.kafka ?? createKafka({ config, logger: common.logger, clientSuffix: component });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const serde = options.serdes.forTopic('market.prices.raw');
  return {
    logger,
    client,
    tokens,
    chainIdOf,
    producer,
    async publish(ticks) {
      if (ticks.length === 0) return;
      const messages = await Promise.all(
        ticks.map(async (t) => ({ key: topicKeys.token(t.chain_id, t.token_address), value: await serde.serialize(t) })),
      );
      await producer.send({ topic: 'market.prices.raw', messages });
    },
    close: () => producer.disconnect(),
  };
}

function tick(ctx: Context, token: TokenConfig, price: string | null, at: number, source: string, fetchedAt: number): PriceTick {
  return {
    chain_id: ctx.chainIdOf(token),
    token_address: token.address,
    coingecko_id: token.coingeckoId,
    symbol: token.symbol,
    price_usd: price,
    price_timestamp: at,
    source,
    fetched_at: fetchedAt,
  };
}

/** One /simple/price poll of every tracked token → ticks; a token without a price (or a failed poll) → a gap tick. */
export async function pollOnce(ctx: Context, signal?: AbortSignal): Promise<{ ticks: PriceTick[]; gaps: number }> {
  const ids = [...new Set(ctx.tokens.map((t) => t.coingeckoId))];
  const fetchedAt = Date.now();
  let prices: Awaited<ReturnType<CoinGeckoClient['simplePrice']>> | undefined;
  try {
    prices = await ctx.client.simplePrice(ids, signal);
  } catch (error) {
    if (signal?.aborted) throw error;
    ctx.logger.warn({ msg: 'price poll failed; marking a gap for every token', code: errorCode(error), err: error });
  }
  const ticks = ctx.tokens.map((t) => {
    const p = prices?.get(t.coingeckoId);
    return p
      ? tick(ctx, t, p.priceUsd, p.updatedAtMs, SOURCE_SPOT, fetchedAt)
      : tick(ctx, t, null, fetchedAt, SOURCE_SPOT, fetchedAt);
  });
  return { ticks, gaps: ticks.filter((t) => t.price_usd === null).length };
}

/**
 * Polls spot prices every `prices.pollIntervalS` into market.prices.raw until the signal aborts.
 * Never invents a price: a missing or failed one is published as a gap (price_usd null).
 */
export async function runPricePoller(
  common: Common,
  options: PriceSourceOptions & { maxPolls?: number },
): Promise<{ polls: number; ticks: number; gaps: number }> {
  const signal = options.signal ?? common.shutdown.signal;
  const ctx = await context(common, options, 'price-poller');
  const totals = { polls: 0, ticks: 0, gaps: 0 };
  const intervalMs = common.config.prices.pollIntervalS * 1000;
  try {
    while (!signal.aborted && (options.maxPolls === undefined || totals.polls < options.maxPolls)) {
      const started = Date.now();
      let result: Awaited<ReturnType<typeof pollOnce>>;
      try {
        result = await pollOnce(ctx, signal);
      } catch (error) {
        if (signal.aborted) break;
        throw error;
      }
      await ctx.publish(result.ticks);
      totals.polls += 1;
      totals.ticks += result.ticks.length;
      totals.gaps += result.gaps;
      ctx.logger.info({
        msg: 'prices polled',
        tokens: result.ticks.length,
        gaps: result.gaps,
        duration_ms: Date.now() - started,
      });
      if (options.maxPolls !== undefined && totals.polls >= options.maxPolls) break;
      await sleep(Math.max(0, intervalMs - (Date.now() - started)), undefined, { signal }).catch(() => undefined);
    }
  } finally {
    await ctx.close();
  }
  return totals;
}

const parseDay = (value: string): number => {
  const ms = parseIsoDay(value);
  if (ms === undefined) throw new RangeError(`not a UTC day YYYY-MM-DD: ${value}`);
  return ms;
};

export interface PriceBackfillSummary {
  tokens: number;
  days: number;
  points: number;
  gaps: number;
  failedTokens: string[];
}

/**
 * Historical prices from /coins/{id}/market_chart/range for every tracked token and every UTC day
 * in [from, to] → market.prices.raw (source coingecko:market_chart_range): every point the API
 * returns, plus a gap tick at 00:00 UTC of each day that has no point. Requested in chunks of at
 * most 365 days (the API answers daily points for ranges over 90 days).
 */
export async function runPriceBackfill(
  common: Common,
  options: PriceSourceOptions & { from: string; to: string; chunkDays?: number },
): Promise<PriceBackfillSummary> {
  const fromMs = parseDay(options.from);
  const toMs = parseDay(options.to);
  if (toMs < fromMs) throw new RangeError('--to must not be before --from');
  const chunkDays = options.chunkDays ?? 365;
  const signal = options.signal ?? common.shutdown.signal;
  const ctx = await context(common, options, 'price-backfill');
  const summary: PriceBackfillSummary = { tokens: 0, days: (toMs - fromMs) / DAY_MS + 1, points: 0, gaps: 0, failedTokens: [] };
  try {
    for (const token of ctx.tokens) {
      const points: { timestampMs: number; priceUsd: string }[] = [];
      let failed = false;
      const fetchedAt = Date.now();
      for (let start = fromMs; start <= toMs; start += chunkDays * DAY_MS) {
        const end = Math.min(toMs + DAY_MS - 1, start + chunkDays * DAY_MS - 1);
        try {
          points.push(...(await ctx.client.marketChartRange(token.coingeckoId, start, end, signal)));
        } catch (error) {
          if (signal.aborted) throw error;
          failed = true;
          ctx.logger.warn({
            msg: 'price range request failed; its days are marked as gaps',
            token: token.symbol,
            from: new Date(start).toISOString(),
            code: errorCode(error),
          });
        }
      }
      const inRange = points.filter((p) => p.timestampMs >= fromMs && p.timestampMs < toMs + DAY_MS);
      const covered = new Set(inRange.map((p) => epochDayOf(p.timestampMs)));
      const ticks = inRange.map((p) => tick(ctx, token, p.priceUsd, p.timestampMs, SOURCE_RANGE, fetchedAt));
      let gaps = 0;
      for (let day = fromMs; day <= toMs; day += DAY_MS) {
        if (!covered.has(epochDayOf(day))) {
          ticks.push(tick(ctx, token, null, day, SOURCE_RANGE, fetchedAt));
          gaps += 1;
        }
      }
      await ctx.publish(ticks);
      summary.tokens += 1;
      summary.points += inRange.length;
      summary.gaps += gaps;
      if (failed) summary.failedTokens.push(token.symbol);
      ctx.logger.info({ msg: 'price history published', token: token.symbol, points: inRange.length, gap_days: gaps });
    }
  } finally {
    await ctx.close();
  }
  return summary;
}
