import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OraculConfig } from '../../config/index.ts';
import type { Common } from '../../core/common.ts';
import { ensureDeclaredTopics } from '../../core/kafka/ensure-topics.ts';
import { createLogger } from '../../core/logger.ts';
import { createShutdown } from '../../core/shutdown.ts';
import { DAY_MS, isoDay } from '../../core/time.ts';
import { createWarehouseClient } from '../../dwh/client.ts';
import { migrate } from '../../dwh/migrate.ts';
import { createSchemaRegistrySerdes, type Serdes } from '../../schemas/index.ts';
import { BITSTAMP_DAILY_CSV as CSV } from '../../scripts/test/fixtures.ts';
import { testConfig } from '../../scripts/test/test-config.ts';
import { createPricesSink, runSinkUntilCaughtUp } from '../sinks/index.ts';
import { createCoinGeckoClient } from './coingecko-client.ts';
import { runPriceBackfill, runPricePoller } from './price-source.ts';
import {
  readDailyCloses,
  startCoinGeckoTestServer,
  type CoinGeckoTestServer,
  type DailySeries,
} from './testing/coingecko-server.ts';

const database = `oracul_prices_it_${randomBytes(4).toString('hex')}`;
const logger = createLogger({ level: 'warn', pretty: false });

let clickhouse: ClickHouseClient;
let adminClient: ClickHouseClient;
let serdes: Serdes;
let server: CoinGeckoTestServer;
let eth: DailySeries;
let btc: DailySeries;

/** Fresh token addresses per test so the shared topic's earlier records do not interfere. */
function tokens() {
  const addr = () => `0x${randomBytes(20).toString('hex')}`;
  return [
    { symbol: 'WETH', coingeckoId: 'weth', address: addr(), decimals: 18, chain: 'mainnet' },
    { symbol: 'WBTC', coingeckoId: 'wrapped-bitcoin', address: addr(), decimals: 8, chain: 'mainnet' },
    { symbol: 'USDC', coingeckoId: 'usd-coin', address: addr(), decimals: 6, chain: 'mainnet' },
  ] as { symbol: string; coingeckoId: string; address: `0x${string}`; decimals: number; chain: string }[];
}

function configFor(): OraculConfig {
  return testConfig({
    clickhouse: { database },
    prices: { baseUrl: server.url, pollIntervalS: 1 },
    chains: [{ name: 'mainnet', chainId: 1, confirmations: 12, rpcUrls: [] }],
  });
}
const commonFor = (config: OraculConfig): Common => ({ config, logger, shutdown: createShutdown(logger) });
const client = () => createCoinGeckoClient({ baseUrl: server.url, retries: 3, initialDelayMs: 10, logger });

async function sinkPrices(config: OraculConfig) {
  const sink = createPricesSink(commonFor(config), {
    serdes,
    groupPrefix: `prices-it-${randomBytes(3).toString('hex')}`,
    batch: { maxRows: 10_000, maxWaitMs: 200 },
  });
  await runSinkUntilCaughtUp(sink, { timeoutMs: 60_000 });
}

const trimDecimal = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);

async function pricesOf(token: string): Promise<{ day: string; price: string | null; source: string }[]> {
  const rs = await clickhouse.query({
    query: `SELECT formatDateTime(price_timestamp, '%Y-%m-%d') AS day, toString(price_usd) AS price, source
            FROM prices_spot FINAL WHERE token_address = {t:String} ORDER BY price_timestamp`,
    query_params: { t: token },
    format: 'JSONEachRow',
  });
  return (await rs.json<{ day: string; price: string | null; source: string }>()).map((r) => ({
    ...r,
    price: r.price === null ? null : trimDecimal(r.price),
  }));
}

beforeAll(async () => {
  eth = readDailyCloses(CSV, 'ETH');
  btc = readDailyCloses(CSV, 'BTC');
  server = await startCoinGeckoTestServer({ weth: eth, 'wrapped-bitcoin': btc });
  const config = configFor();
  adminClient = createWarehouseClient({ config, withoutDatabase: true });
  await migrate({ client: adminClient, database, logger });
  clickhouse = createWarehouseClient({ config });
  await ensureDeclaredTopics({ config, logger });
  serdes = createSchemaRegistrySerdes({ config });
});

afterAll(async () => {
  await server?.close();
  await adminClient?.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
  await Promise.all([adminClient?.close(), clickhouse?.close()]);
});

describe('price source → market.prices.raw → prices_spot (recorded daily closes)', () => {
  it('backfills a range through 429s: exact recorded closes, gaps marked for missing days, nothing invented', async () => {
    const config = configFor();
    const t = tokens();
    const rateLimitedBefore = server.stats.rateLimited;
    server.setFaults({ rateLimitFirst: server.stats.requests + 2 });
    // 2019-03-15 … 2019-04-05 spans the 12 days (2019-03-20 … 03-31) the recorded files lack.
    const summary = await runPriceBackfill(commonFor(config), {
      serdes,
      client: client(),
      tokens: t,
      from: '2019-03-15',
      to: '2019-04-05',
    });
    expect(server.stats.rateLimited - rateLimitedBefore).toBe(2);
    expect(summary).toMatchObject({ tokens: 3, days: 22, failedTokens: ['USDC'] });

    await sinkPrices(config);
    const from = Date.UTC(2019, 2, 15);
    const to = Date.UTC(2019, 3, 5);
    for (const [token, series] of [
      [t[0]!, eth],
      [t[1]!, btc],
    ] as const) {
      const expected: { day: string; price: string | null; source: string }[] = [];
      for (let d = from; d <= to; d += DAY_MS) {
        const point = series.points.find((p) => p.timestampMs === d);
        expected.push({ day: isoDay(d), price: point ? trimDecimal(point.price) : null, source: 'coingecko:market_chart_range' });
      }
      expect(expected.filter((e) => e.price === null)).toHaveLength(12);
      expect(await pricesOf(token.address)).toEqual(expected);
    }
    // A coin the API does not know: every day is a gap, no price.
    const usdc = await pricesOf(t[2]!.address);
    expect(usdc).toHaveLength(22);
    expect(usdc.every((r) => r.price === null)).toBe(true);
  });

  it('polls spot prices; a poll that stays rate-limited publishes gaps, never a stale or made-up price', async () => {
    const config = configFor();
    const t = tokens();
    const now = Date.UTC(2018, 5, 1, 15, 30);
    server.setNow(now);
    server.setFaults({});
    const first = await runPricePoller(commonFor(config), { serdes, client: client(), tokens: t, maxPolls: 1 });
    expect(first).toMatchObject({ polls: 1, ticks: 3, gaps: 1 });
    server.setFaults({ rateLimitAll: true });
    const second = await runPricePoller(commonFor(config), { serdes, client: client(), tokens: t, maxPolls: 1 });
    expect(second).toMatchObject({ polls: 1, ticks: 3, gaps: 3 });
    server.setFaults({});

    await sinkPrices(config);
    const ethRows = await pricesOf(t[0]!.address);
    const close = eth.points.find((p) => p.timestampMs === Date.UTC(2018, 5, 1))!.price;
    expect(ethRows[0]).toEqual({ day: '2018-06-01', price: trimDecimal(close), source: 'coingecko:simple_price' });
    expect(ethRows).toHaveLength(2);
    expect(ethRows[1]!.price).toBeNull(); // the rate-limited poll: a gap at the poll time
    const btcRows = await pricesOf(t[1]!.address);
    expect(btcRows[0]!.price).toBe(trimDecimal(btc.points.find((p) => p.timestampMs === Date.UTC(2018, 5, 1))!.price));
  });
});
