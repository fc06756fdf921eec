import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCoinGeckoClient, PriceApiRequestFailedError } from '../../../processors/prices/index.ts';
import { devnetPriceAt, startDevnetPriceServer, type DevnetPriceServer } from './price-server.ts';
import { HOUR_MS as HOUR } from '../../../core/time.ts';
import { DEVNET_TOKENS } from './tokens.ts';

const NOW = Date.UTC(2026, 10, 27, 5, 30, 0);

describe('devnet price server (CoinGecko-compatible)', () => {
  let server: DevnetPriceServer;
  beforeAll(async () => {
    server = await startDevnetPriceServer({ tokens: DEVNET_TOKENS, now: () => NOW });
  });
  afterAll(() => server.stop());
  const client = () => createCoinGeckoClient({ baseUrl: server.url, retries: 0 });

  it('answers /simple/price for the known ids, as the poller calls it', async () => {
    const prices = await client().simplePrice(['devnet-usd-coin', 'devnet-weth', 'no-such-coin']);
    expect([...prices.keys()].sort()).toEqual(['devnet-usd-coin', 'devnet-weth']);
    const usd = prices.get('devnet-usd-coin')!;
    expect(usd.updatedAtMs).toBe(NOW - (NOW % 60_000));
    expect(usd.priceUsd).toBe(devnetPriceAt(DEVNET_TOKENS[0]!, usd.updatedAtMs));
    expect(Number(usd.priceUsd)).toBeGreaterThan(0.99);
    expect(Number(usd.priceUsd)).toBeLessThan(1.01);
    expect(Number(prices.get('devnet-weth')!.priceUsd)).toBeGreaterThan(2_500);
  });

  it('answers /coins/{id}/market_chart/range with hourly points up to now, as the backfill calls it', async () => {
    const from = NOW - 3 * 24 * HOUR;
    const points = await client().marketChartRange('devnet-wrapped-bitcoin', from, NOW + 24 * HOUR);
    expect(points[0]!.timestampMs).toBe(Math.ceil(from / HOUR) * HOUR);
    expect(points.at(-1)!.timestampMs).toBeLessThanOrEqual(NOW);
    for (let i = 1; i < points.length; i += 1) expect(points[i]!.timestampMs - points[i - 1]!.timestampMs).toBe(HOUR);
    expect(points).toHaveLength(72);
    const spec = DEVNET_TOKENS.find((t) => t.coingeckoId === 'devnet-wrapped-bitcoin')!;
    for (const p of points) {
      expect(p.priceUsd).toBe(devnetPriceAt(spec, p.timestampMs));
      expect(p.priceUsd).toMatch(/^\d+(\.\d+)?$/);
    }
    // Over 90 days: daily points, as CoinGecko.
    const daily = await client().marketChartRange('devnet-weth', NOW - 120 * 24 * HOUR, NOW);
    expect(daily.length).toBeGreaterThanOrEqual(119);
    expect(daily.length).toBeLessThanOrEqual(121);
    expect(server.stats.marketChartRange).toBe(2);
  });

  it('gives 404 for an unknown coin (a non-retryable client error) and for unknown paths', async () => {
    await expect(client().marketChartRange('no-such-coin', NOW - HOUR, NOW)).rejects.toBeInstanceOf(PriceApiRequestFailedError);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/ping`)).status).toBe(200);
  });

  it('prices are a deterministic function of (token, time), continuous between hours', () => {
    const spec = DEVNET_TOKENS[2]!;
    expect(devnetPriceAt(spec, NOW)).toBe(devnetPriceAt(spec, NOW));
    const a = Number(devnetPriceAt(spec, NOW));
    const b = Number(devnetPriceAt(spec, NOW + 60_000));
    expect(Math.abs(a - b) / a).toBeLessThan(0.01);
    expect(devnetPriceAt({ coingeckoId: 'x', basePriceUsd: 0.5, volatility: 0 }, NOW)).toBe('0.5');
  });
});
