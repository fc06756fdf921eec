import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import type { Producer } from 'kafkajs';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../core/kafka/client.ts';
import { ensureDeclaredTopics } from '../core/kafka/ensure-topics.ts';
import { createLogger } from '../core/logger.ts';
import { addDays, isoDay } from '../core/time.ts';
import { createWarehouseClient } from '../dwh/client.ts';
import { migrate } from '../dwh/migrate.ts';
import { createSchemaRegistrySerdes, type Anomaly, type Serdes } from '../schemas/index.ts';
import { testConfig } from '../scripts/test/test-config.ts';
import { sha256Hex } from './auth.ts';
import type { Gateway } from './server.ts';
import { startReadyGateway } from './testing/start-ready-gateway.ts';
import { waitUntil } from './testing/wait-until.ts';

// A real gateway on the integration stack (Kafka, registry, ClickHouse engine) over its own database.
const database = `oracul_gw_${process.env.VITEST_POOL_ID ?? '0'}_${randomBytes(4).toString('hex')}`;
const READ_KEY = `read-${randomBytes(12).toString('hex')}`;
const OPS_KEY = `ops-${randomBytes(12).toString('hex')}`;
const SLOW_KEY = `slow-${randomBytes(12).toString('hex')}`;
const config = testConfig({
  logLevel: 'silent',
  clickhouse: { database },
  gateway: {
    maxDepth: 4,
    maxCost: 60_000,
    maxAliases: 5,
    maxTokens: 400,
    maxRangeDays: 366,
    rateLimitPerSecond: 10_000,
    apiKeys: [
      { id: 'it-read', role: 'read', sha256: sha256Hex(READ_KEY) },
      { id: 'it-ops', role: 'ops', sha256: sha256Hex(OPS_KEY) },
      { id: 'it-slow', role: 'read', sha256: sha256Hex(SLOW_KEY), rateLimitPerSecond: 2 },
    ],
  },
});
const logger = createLogger({ level: process.env.GATEWAY_IT_LOG === '1' ? 'debug' : 'silent', pretty: false });

const USDT = '0xdac17f958d2ee523a2206206994597c13d831ec7';
const USDC = '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48';
const WETH = '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2';
const USDT_CHECKSUM = '0xdAC17F958D2ee523a2206206994597C13D831ec7';
const ALICE = '0x1111111111111111111111111111111111111111';
const HUGE = (2n ** 255n + 12_345n).toString();

let writer: ClickHouseClient;
let gateway: Gateway;
let serdes: Serdes;
let producer: Producer;

interface GqlResponse {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function gql(query: string, variables: Record<string, unknown> = {}, key: string | null = READ_KEY): Promise<GqlResponse> {
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...(key === null ? {} : { 'x-api-key': key }) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as GqlResponse['body'] };
}

const codes = (r: GqlResponse): string[] => (r.body.errors ?? []).map((e) => e.extensions?.code ?? 'NONE');
const data = <T>(r: GqlResponse): T => {
  expect(r.body.errors, JSON.stringify(r.body.errors)).toBeUndefined();
  return r.body.data as T;
};

function day(offset: number): string {
  return addDays('2026-01-01', offset);
}

function metricsRow(token: string, date: string, over: Record<string, unknown> = {}) {
  return {
    date,
    chain_id: 1,
    token_address: token,
    symbol: token === USDT ? 'USDT' : 'USDC',
    decimals: 6,
    volume_raw: '1000',
    volume_usd: '10.5',
    minted_raw: '0',
    burned_raw: '0',
    transfer_count: 10,
    priced_transfer_count: 10,
    tx_count: 9,
    unique_addresses: 7,
    price_open: '1',
    price_high: '1.01',
    price_low: '0.99',
    price_close: '1.000000000000000001',
    price_source: 'coingecko:simple_price',
    price_staleness_ms: 1000,
    version: 1,
    is_final: true,
    emitted_at: Date.UTC(2026, 0, 2),
    ...over,
  };
}

function anomalyRow(i: number, over: Record<string, unknown> = {}) {
  return {
    anomaly_id: `a${String(i).padStart(3, '0')}`,
    chain_id: 1,
    entity_type: 'token',
    entity_id: USDT,
    token_address: USDT,
    metric: 'volume_usd',
    day: day(i),
    value: 100 + i,
    baseline_center: 10,
    baseline_spread: 2,
    baseline_days: 28,
    score: 5 + i,
    lower_bound: 6,
    upper_bound: 14,
    method: 'robust_zscore',
    severity: ['low', 'medium', 'high'][i % 3],
    status: 'final',
    detected_at: Date.UTC(2026, 0, 1 + i, 12),
    updated_at: Date.UTC(2026, 0, 1 + i, 12),
    version: 1,
    source_version: 1,
    ...over,
  };
}

async function seed(): Promise<void> {
  const insert = (table: string, values: Record<string, unknown>[]) =>
    writer.insert({ table: `${database}.${table}`, format: 'JSONEachRow', values });
  await insert('token_metrics_daily', [
    ...Array.from({ length: 10 }, (_, i) => metricsRow(USDT, day(i), { volume_raw: i === 3 ? HUGE : String(1000 + i) })),
    // A later version of day 5 wins under FINAL.
    metricsRow(USDT, day(5), { version: 2, volume_raw: '5555', volume_usd: '1234567.123456789012345678' }),
    // Day 7: every transfer retracted (transfer_count 0 → is_deleted): it disappears.
    metricsRow(USDT, day(7), { version: 2, transfer_count: 0, priced_transfer_count: 0 }),
    metricsRow(USDC, day(0), { volume_usd: '99.5', transfer_count: 50, unique_addresses: 3 }),
    metricsRow(WETH, day(0), { volume_usd: null, transfer_count: 5, unique_addresses: 40, symbol: 'WETH', decimals: 18 }),
  ]);
  await insert('address_flows_daily', [
    ...[USDT, USDC].flatMap((token) =>
      Array.from({ length: 3 }, (_, i) => ({
        date: day(i),
        chain_id: 1,
        address: ALICE,
        token_address: token,
        symbol: null,
        inflow_raw: HUGE,
        outflow_raw: '5',
        net_flow_raw: `-${(2n ** 200n).toString()}`,
        inflow_usd: '1.5',
        outflow_usd: null,
        net_flow_usd: '-0.000000000000000001',
        transfer_count: 2,
        tx_count: 2,
        counterparties_count: 1,
        version: 1,
        is_final: true,
        emitted_at: Date.UTC(2026, 0, 3),
      })),
    ),
  ]);
  await insert('anomalies', [
    ...Array.from({ length: 7 }, (_, i) => anomalyRow(i)),
    anomalyRow(0, { version: 2, severity: 'high', updated_at: Date.UTC(2026, 0, 2) }),
    anomalyRow(20, { status: 'withdrawn' }),
    anomalyRow(21, { entity_type: 'address', entity_id: ALICE, metric: 'net_flow_usd', token_address: null }),
  ]);
  await insert('data_quality_checks', [
    {
      check_name: 'block_contiguity',
      chain_id: 1,
      subject: '',
      status: 'pass',
      observed: 0,
      threshold: 0,
      check_window: 'blocks:1-100',
      checked_at: Date.UTC(2026, 0, 2, 1),
      details: '{}',
    },
    {
      check_name: 'transfer_reconciliation',
      chain_id: 1,
      subject: USDT,
      status: 'fail',
      observed: 3,
      threshold: 0,
      check_window: '2026-01-02/2026-01-03',
      checked_at: Date.UTC(2026, 0, 3, 1),
      details: '{"missing":3}',
    },
  ]);
  const block = (n: number, over: Record<string, unknown> = {}) => ({
    chain_id: 1,
    block_number: n,
    block_hash: `0x${n.toString(16).padStart(64, '0')}`,
    parent_hash: `0x${(n - 1).toString(16).padStart(64, '0')}`,
    block_timestamp: Date.now() - (110 - n) * 12_000,
    miner: ALICE,
    gas_limit: 30_000_000,
    gas_used: 1,
    base_fee_per_gas: '7',
    size_bytes: 1,
    transaction_count: 0,
    log_count: 0,
    blob_gas_used: null,
    excess_blob_gas: null,
    version: 1,
    is_orphaned: 0,
    observed_at: Date.now(),
    ...over,
  });
  await insert('raw_blocks', [block(100), block(101), block(102), block(102, { version: 2, is_orphaned: 1 })]);
}

beforeAll(async () => {
  writer = createWarehouseClient({ config, withoutDatabase: true });
  await migrate({ client: writer, database, logger });
  await seed();
  await ensureDeclaredTopics({ config, logger });
  serdes = createSchemaRegistrySerdes({ config });
  await serdes.registerAll();
  producer = createKafka({ config, logger, clientSuffix: 'gateway-it' }).producer();
  await producer.connect();
  gateway = await startReadyGateway({ config, logger, port: 0 });
});

afterAll(async () => {
  await gateway?.close();
  await producer?.disconnect();
  await writer?.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
  await writer?.close();
});

describe('probes', () => {
  it('/healthz is live and /readyz reports ClickHouse, Kafka and the live feed', async () => {
    expect((await fetch(`${gateway.origin}/healthz`)).status).toBe(200);
    const ready = await fetch(`${gateway.origin}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { components: { name: string; status: string }[] };
    expect(body.components.map((c) => [c.name, c.status])).toEqual([
      ['warehouse', 'UP'],
      ['kafka', 'UP'],
      ['live-feed', 'UP'],
    ]);
  });
});

describe('queries against seeded tables', () => {
  it('tokens: the seeded tokens, paged by address, round trip without gaps or repeats', async () => {
    const query =
      'query T($after: String) { tokens(first: 3, after: $after) { edges { cursor node { address symbol name decimals source chainId version updatedAt } } pageInfo { hasNextPage endCursor } } }';
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page += 1) {
      const result: {
        tokens: { edges: { node: { address: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
      } = data(await gql(query, { after }));
      seen.push(...result.tokens.edges.map((e) => e.node.address));
      if (!result.tokens.pageInfo.hasNextPage) break;
      after = result.tokens.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(7);
    expect([...seen].sort()).toEqual(seen);
    expect(new Set(seen).size).toBe(7);
    expect(seen).toContain(USDT);
  });

  it('tokenMetricsDaily: every column, latest version under FINAL, deleted days gone, exact uint256 and decimals', async () => {
    const r = await gql(
      `{ tokenMetricsDaily(token: "${USDT_CHECKSUM}", from: "${day(0)}", to: "${day(9)}") {
          date chainId tokenAddress symbol decimals volumeRaw volumeUsd mintedRaw burnedRaw transferCount pricedTransferCount
          txCount uniqueAddresses priceOpen priceHigh priceLow priceClose priceSource priceStalenessMs version isFinal emittedAt insertedAt
          token { symbol name decimals } } }`,
    );
    const rows = data<{ tokenMetricsDaily: Record<string, unknown>[] }>(r).tokenMetricsDaily;
    expect(rows.map((x) => x.date)).toEqual([0, 1, 2, 3, 4, 5, 6, 8, 9].map(day));
    const byDay = new Map(rows.map((x) => [x.date, x]));
    expect(byDay.get(day(3))?.volumeRaw).toBe(HUGE);
    expect(byDay.get(day(5))).toMatchObject({ volumeRaw: '5555', volumeUsd: '1234567.123456789012345678', version: '2' });
    expect(byDay.get(day(0))).toMatchObject({
      chainId: 1,
      tokenAddress: USDT,
      symbol: 'USDT',
      decimals: 6,
      mintedRaw: '0',
      transferCount: 10,
      pricedTransferCount: 10,
      txCount: 9,
      uniqueAddresses: 7,
      priceOpen: '1',
      priceHigh: '1.01',
      priceLow: '0.99',
      priceClose: '1.000000000000000001',
      priceSource: 'coingecko:simple_price',
      priceStalenessMs: '1000',
      isFinal: true,
      emittedAt: '2026-01-02T00:00:00.000Z',
      token: { symbol: 'USDT', name: 'Tether USD', decimals: 6 },
    });
    expect(typeof byDay.get(day(0))?.insertedAt).toBe('string');
  });

  it('tokenMetricsDaily: a repeated read of closed final days comes from the caches', async () => {
    const q = `{ tokenMetricsDaily(token: "${USDT}", from: "${day(0)}", to: "${day(2)}") { date volumeRaw } }`;
    const first = data<{ tokenMetricsDaily: unknown[] }>(await gql(q));
    // Kept from the second read (admission by second read): the first one only is remembered.
    const [rowHitsAfterFirst, responseHitsAfterFirst] = [gateway.reader.cache.hits, gateway.responses.hits];
    expect(data<{ tokenMetricsDaily: unknown[] }>(await gql(q))).toEqual(first);
    expect([gateway.reader.cache.hits, gateway.responses.hits]).toEqual([rowHitsAfterFirst, responseHitsAfterFirst]);
    const [rowHits, responseHits] = [gateway.reader.cache.hits, gateway.responses.hits];
    // The same operation again: its whole result, without running it.
    const second = data<{ tokenMetricsDaily: unknown[] }>(await gql(q));
    expect(second).toEqual(first);
    expect(gateway.responses.hits).toBe(responseHits + 1);
    expect(gateway.reader.cache.hits).toBe(rowHits);
    // Another selection over the same days: executed, its rows from the finalized-day cache.
    const other = data<{ tokenMetricsDaily: { date: string }[] }>(
      await gql(`{ tokenMetricsDaily(token: "${USDT}", from: "${day(0)}", to: "${day(2)}") { date } }`),
    );
    expect(other.tokenMetricsDaily.map((r) => r.date)).toEqual([day(0), day(1), day(2)]);
    expect(gateway.reader.cache.hits).toBe(rowHits + 1);
  });

  it('the response cache keeps only finalized reads, per role and variables, and never skips auth or limits', async () => {
    const q = 'query R($t: Address!, $f: Date!, $to: Date!) { tokenMetricsDaily(token: $t, from: $f, to: $to) { date } }';
    const vars = { t: USDT, f: day(0), to: day(3) };
    data(await gql(q, vars));
    data(await gql(q, vars)); // kept from its second run
    const hits = gateway.responses.hits;
    data(await gql(q, vars));
    expect(gateway.responses.hits).toBe(hits + 1);
    // Other variables, another role: not the same entry.
    data(await gql(q, { ...vars, to: day(4) }));
    data(await gql(q, vars, OPS_KEY));
    expect(gateway.responses.hits).toBe(hits + 1);
    // A cached operation still needs a key and passes the rate limit and the document limits.
    expect((await gql(q, vars, null)).status).toBe(401);
    expect((await gql(q, vars, 'orc_wrong')).status).toBe(401);
    const deep = `{ tokenMetricsDaily(token: "${USDT}", from: "${day(0)}", to: "${day(3)}") { token { symbol } date } }`;
    // Token metadata may change: an operation that reads it is never stored.
    data(await gql(deep));
    data(await gql(deep));
    expect(gateway.responses.hits).toBe(hits + 1);
    // A range that reaches today (an open day) is never stored.
    const today = isoDay(Date.now());
    const open = `{ tokenMetricsDaily(token: "${USDT}", from: "${day(0)}", to: "${today}") { date } }`;
    data(await gql(open));
    data(await gql(open));
    expect(gateway.responses.hits).toBe(hits + 1);
    // An error is never stored: the same invalid document fails the same way every time.
    const bad = `{ tokenMetricsDaily(token: "${USDT}", from: "${day(3)}", to: "${day(0)}") { date } }`;
    expect(codes(await gql(bad))).toEqual(['ORACUL_GATEWAY_INVALID_RANGE']);
    expect(codes(await gql(bad))).toEqual(['ORACUL_GATEWAY_INVALID_RANGE']);
    expect(gateway.responses.hits).toBe(hits + 1);
  });

  it('addressFlowsDaily: all tokens or one token, signed flows exact', async () => {
    const all = data<{ addressFlowsDaily: Record<string, unknown>[] }>(
      await gql(
        `{ addressFlowsDaily(address: "${ALICE}", from: "${day(0)}", to: "${day(2)}") {
            date chainId address tokenAddress symbol inflowRaw outflowRaw netFlowRaw inflowUsd outflowUsd netFlowUsd
            transferCount txCount counterpartiesCount version isFinal emittedAt insertedAt token { symbol } } }`,
      ),
    ).addressFlowsDaily;
    expect(all).toHaveLength(6);
    expect(all[0]).toMatchObject({
      address: ALICE,
      inflowRaw: HUGE,
      outflowRaw: '5',
      netFlowRaw: `-${(2n ** 200n).toString()}`,
      inflowUsd: '1.5',
      outflowUsd: null,
      netFlowUsd: '-0.000000000000000001',
      transferCount: 2,
      counterpartiesCount: 1,
    });
    const one = data<{ addressFlowsDaily: { tokenAddress: string; token: { symbol: string } }[] }>(
      await gql(
        `{ addressFlowsDaily(address: "${ALICE}", from: "${day(0)}", to: "${day(2)}", token: "${USDC}") { tokenAddress token { symbol } } }`,
      ),
    ).addressFlowsDaily;
    expect(one).toHaveLength(3);
    expect(one.every((x) => x.tokenAddress === USDC && x.token.symbol === 'USDC')).toBe(true);
  });

  it('topTokens: ranked by each metric', async () => {
    const top = async (by: string) =>
      data<{ topTokens: { tokenAddress: string }[] }>(
        await gql(`{ topTokens(day: "${day(0)}", by: ${by}, first: 3) { tokenAddress } }`),
      ).topTokens.map((t) => t.tokenAddress);
    expect(await top('VOLUME_USD')).toEqual([USDC, USDT, WETH]);
    expect(await top('TRANSFER_COUNT')).toEqual([USDC, USDT, WETH]);
    expect(await top('UNIQUE_ADDRESSES')).toEqual([WETH, USDT, USDC]);
    expect(
      data<{ topTokens: unknown[] }>(await gql(`{ topTokens(day: "${day(0)}", by: VOLUME_USD, first: 1) { tokenAddress } }`))
        .topTokens,
    ).toHaveLength(1);
  });

  it('anomalies: newest first, latest version, withdrawn hidden, filters, and a pagination round trip', async () => {
    const query = `query A($after: String, $first: Int, $minSeverity: Severity, $entityType: EntityType, $status: AnomalyStatus) {
      anomalies(first: $first, after: $after, minSeverity: $minSeverity, entityType: $entityType, status: $status) {
        edges { cursor node { anomalyId day severity status version entityType } } pageInfo { hasNextPage endCursor } } }`;
    type Page = {
      anomalies: {
        edges: { node: { anomalyId: string; day: string; severity: string; version: string } }[];
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    };
    const everything = data<Page>(await gql(query, { first: 500 })).anomalies.edges.map((e) => e.node);
    expect(everything.map((n) => n.anomalyId)).toEqual(['a021', 'a006', 'a005', 'a004', 'a003', 'a002', 'a001', 'a000']);
    expect(everything.at(-1)).toMatchObject({ severity: 'HIGH', version: '2' });

    const paged: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i += 1) {
      const page: Page = data<Page>(await gql(query, { first: 3, after }));
      paged.push(...page.anomalies.edges.map((e) => e.node.anomalyId));
      if (!page.anomalies.pageInfo.hasNextPage) break;
      after = page.anomalies.pageInfo.endCursor;
    }
    expect(paged).toEqual(everything.map((n) => n.anomalyId));

    const high = data<Page>(await gql(query, { first: 50, minSeverity: 'HIGH' })).anomalies.edges.map((e) => e.node);
    const expectedHigh = everything.filter((n) => n.severity === 'HIGH').map((n) => n.anomalyId);
    expect(expectedHigh.length).toBeGreaterThan(0);
    expect(high.map((n) => n.anomalyId)).toEqual(expectedHigh);
    const withdrawn = data<Page>(await gql(query, { first: 50, status: 'WITHDRAWN' })).anomalies.edges.map(
      (e) => e.node.anomalyId,
    );
    expect(withdrawn).toEqual(['a020']);
    const addresses = data<Page>(await gql(query, { first: 50, entityType: 'ADDRESS' })).anomalies.edges.map(
      (e) => e.node.anomalyId,
    );
    expect(addresses).toEqual(['a021']);
    const entity = data<{ anomalies: { nodes: { anomalyId: string }[] } }>(
      await gql(`{ anomalies(entityId: "${ALICE}", from: "${day(0)}", to: "${day(30)}") { nodes { anomalyId } } }`),
    );
    expect(entity.anomalies.nodes).toEqual([{ anomalyId: 'a021' }]);
  });

  it('dataQuality: runs in range, newest first, filtered by status', async () => {
    const all = data<{ dataQuality: { checkName: string; status: string; checkedAt: string; details: string }[] }>(
      await gql(
        `{ dataQuality(from: "2026-01-01", to: "2026-01-31") { checkName chainId subject status observed threshold checkWindow checkedAt details } }`,
      ),
    ).dataQuality;
    expect(all.map((c) => c.checkName)).toEqual(['transfer_reconciliation', 'block_contiguity']);
    expect(all[0]).toMatchObject({ status: 'FAIL', checkedAt: '2026-01-03T01:00:00.000Z', details: '{"missing":3}' });
    const failing = data<{ dataQuality: unknown[] }>(
      await gql(`{ dataQuality(from: "2026-01-01", to: "2026-01-31", status: PASS) { checkName } }`),
    );
    expect(failing.dataQuality).toEqual([{ checkName: 'block_contiguity' }]);
  });

  it('health: latest canonical block, lags, last DQ run, components (ops key only)', async () => {
    const q = `{ health { latestBlockNumber latestBlockTimestamp ingestionLagSeconds ingestionLagBlocks chainHeadBlockNumber
      consumerLag { groupId lag topics } lastDataQualityCheckAt lastDataQualityCheck lastDataQualityStatus components { name status detail } } }`;
    const health = data<{ health: Record<string, unknown> }>(await gql(q, {}, OPS_KEY)).health;
    expect(health).toMatchObject({
      latestBlockNumber: '101',
      lastDataQualityCheck: 'transfer_reconciliation',
      lastDataQualityStatus: 'FAIL',
      components: [
        { name: 'warehouse', status: 'UP' },
        { name: 'kafka', status: 'UP' },
        { name: 'live-feed', status: 'UP' },
      ],
    });
    expect(health.ingestionLagSeconds).toBeGreaterThanOrEqual(90);
    expect(Array.isArray(health.consumerLag)).toBe(true);
    expect(codes(await gql(q, {}, READ_KEY))).toEqual(['ORACUL_GATEWAY_FORBIDDEN']);
  });

  it('anomalies: a repeated read is answered whole from the response cache until its shared list is refreshed', async () => {
    const q = `{ anomalies(first: 3, from: "${day(0)}", to: "${day(10)}") { nodes { anomalyId score } } }`;
    const ids = (r: GqlResponse) =>
      data<{ anomalies: { nodes: { anomalyId: string }[] } }>(r).anomalies.nodes.map((n) => n.anomalyId);
    const first = await gql(q);
    expect(ids(first)).toEqual(['a006', 'a005', 'a004']);
    await gql(q); // kept from its second run (admission by second read)
    const hits = gateway.responses.hits;
    expect((await gql(q)).body).toEqual(first.body);
    expect(gateway.responses.hits).toBe(hits + 1);
    // A newer anomaly: once the list's window has passed, its refresh makes the cached answer stale, and the next
    // read is executed again on the new rows.
    await writer.insert({ table: `${database}.anomalies`, format: 'JSONEachRow', values: [anomalyRow(8)] });
    await new Promise((r) => setTimeout(r, 1_100));
    await expect.poll(async () => ids(await gql(q)), { timeout: 10_000 }).toEqual(['a008', 'a006', 'a005']);
  });
});

describe('validation errors carry stable codes (never a 500, never ClickHouse text)', () => {
  const cases: [string, string, string][] = [
    [
      'bad address',
      `{ tokenMetricsDaily(token: "0x123", from: "2026-01-01", to: "2026-01-02") { date } }`,
      'ORACUL_GATEWAY_INVALID_ADDRESS',
    ],
    [
      'bad checksum',
      `{ tokenMetricsDaily(token: "0xdAC17F958D2ee523a2206206994597C13D831eC7", from: "2026-01-01", to: "2026-01-02") { date } }`,
      'ORACUL_GATEWAY_INVALID_ADDRESS',
    ],
    [
      'address as number',
      `{ tokenMetricsDaily(token: 12, from: "2026-01-01", to: "2026-01-02") { date } }`,
      'ORACUL_GATEWAY_INVALID_ADDRESS',
    ],
    [
      'bad date',
      `{ tokenMetricsDaily(token: "${USDT}", from: "2026-02-30", to: "2026-03-01") { date } }`,
      'ORACUL_GATEWAY_INVALID_DATE',
    ],
    ['date format', `{ dataQuality(from: "01/02/2026", to: "2026-01-03") { checkName } }`, 'ORACUL_GATEWAY_INVALID_DATE'],
    [
      'reversed range',
      `{ tokenMetricsDaily(token: "${USDT}", from: "2026-02-01", to: "2026-01-01") { date } }`,
      'ORACUL_GATEWAY_INVALID_RANGE',
    ],
    [
      'range too long',
      `{ addressFlowsDaily(address: "${ALICE}", from: "2024-01-01", to: "2026-01-01") { date } }`,
      'ORACUL_GATEWAY_RANGE_TOO_LARGE',
    ],
    ['first too big', `{ anomalies(first: 501) { nodes { anomalyId } } }`, 'ORACUL_GATEWAY_INVALID_FIRST'],
    ['first zero', `{ topTokens(day: "2026-01-01", by: VOLUME_USD, first: 0) { date } }`, 'ORACUL_GATEWAY_INVALID_FIRST'],
    ['tokens first negative', `{ tokens(first: -1) { nodes { address } } }`, 'ORACUL_GATEWAY_INVALID_FIRST'],
    ['bad cursor', `{ anomalies(after: "not-a-cursor") { nodes { anomalyId } } }`, 'ORACUL_GATEWAY_INVALID_CURSOR'],
    [
      'cursor of another field',
      `{ anomalies(after: "${Buffer.from(JSON.stringify(['token', USDT])).toString('base64url')}") { nodes { anomalyId } } }`,
      'ORACUL_GATEWAY_INVALID_CURSOR',
    ],
    ['unknown enum', `{ topTokens(day: "2026-01-01", by: PRICE) { date } }`, 'ORACUL_GATEWAY_INVALID_INPUT'],
    ['unknown field', `{ tokens { nodes { owner } } }`, 'ORACUL_GATEWAY_INVALID_INPUT'],
    ['syntax error', `{ tokens( { nodes } }`, 'ORACUL_GATEWAY_INVALID_INPUT'],
  ];
  it.each(cases)('%s', async (_name, query, code) => {
    const r = await gql(query);
    expect(r.status).toBeLessThan(500);
    expect(codes(r)).toContain(code);
    expect(JSON.stringify(r.body)).not.toMatch(/DB::Exception|Code: \d+|ClickHouse/);
  });

  it('variables are validated by the same scalars', async () => {
    const r = await gql('query Q($t: Address!) { tokenMetricsDaily(token: $t, from: "2026-01-01", to: "2026-01-02") { date } }', {
      t: 'nope',
    });
    expect(codes(r)).toEqual(['ORACUL_GATEWAY_INVALID_ADDRESS']);
  });
});

describe('auth, limits', () => {
  it('missing or invalid key → 401 with ORACUL_GATEWAY_UNAUTHENTICATED', async () => {
    for (const key of [null, 'wrong-key', '']) {
      const r = await gql('{ tokens { nodes { address } } }', {}, key);
      expect(r.status).toBe(401);
      expect(codes(r)).toEqual(['ORACUL_GATEWAY_UNAUTHENTICATED']);
    }
  });

  it('rate limit per key → 429 with Retry-After', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 6 }, () => gql('{ tokens(first: 1) { nodes { address } } }', {}, SLOW_KEY)),
    );
    const limited = statuses.filter((s) => s.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(3);
    expect(codes(limited[0]!)).toEqual(['ORACUL_GATEWAY_RATE_LIMITED']);
    // Another key is unaffected.
    expect((await gql('{ tokens(first: 1) { nodes { address } } }')).status).toBe(200);
  });

  it('depth, cost, alias and token limits', async () => {
    const deep = await gql('{ anomalies { edges { node { token { symbol } } } } }');
    expect(codes(deep)).toContain('ORACUL_GATEWAY_DEPTH_LIMIT');
    const fields =
      'anomalyId chainId entityType entityId tokenAddress metric day value baselineCenter baselineSpread baselineDays score lowerBound upperBound method severity status detectedAt updatedAt version sourceVersion';
    const costly = await gql(
      `{ ${['a', 'b', 'c'].map((alias) => `${alias}: anomalies(first: 500) { nodes { ${fields} } }`).join(' ')} }`,
    );
    expect(codes(costly)).toContain('ORACUL_GATEWAY_COST_LIMIT');
    const aliases = await gql(
      `{ tokens(first: 1) { nodes { ${Array.from({ length: 6 }, (_, i) => `a${i}: symbol`).join(' ')} } } }`,
    );
    expect(codes(aliases)).toContain('ORACUL_GATEWAY_ALIAS_LIMIT');
    const tokens = await gql(`{ ${Array.from({ length: 450 }, () => '__typename').join(' ')} }`);
    expect(codes(tokens)).toContain('ORACUL_GATEWAY_TOKEN_LIMIT');
  });
});

describe('injection', () => {
  const hostile = [
    "' OR '1'='1",
    "'; DROP TABLE tokens; --",
    "0xdac17f958d2ee523a2206206994597c13d831ec7' OR 1=1 --",
    '{token:String}',
    "2026-01-01') OR ('1'='1",
    "\\' UNION SELECT name FROM system.tables --",
    '"; SELECT 1; --',
  ];

  it('hostile strings in every GraphQL argument are rejected with stable codes and change nothing', async () => {
    const before = await countRows();
    const templates: [string, string][] = [
      ['{ tokens(after: $h) { nodes { address } } }', 'String'],
      ['{ tokenMetricsDaily(token: $h, from: "2026-01-01", to: "2026-01-02") { date } }', 'Address!'],
      ['{ tokenMetricsDaily(token: "' + USDT + '", from: $h, to: "2026-01-02") { date } }', 'Date!'],
      ['{ tokenMetricsDaily(token: "' + USDT + '", from: "2026-01-01", to: $h) { date } }', 'Date!'],
      ['{ addressFlowsDaily(address: $h, from: "2026-01-01", to: "2026-01-02") { date } }', 'Address!'],
      ['{ addressFlowsDaily(address: "' + ALICE + '", from: "2026-01-01", to: "2026-01-02", token: $h) { date } }', 'Address'],
      ['{ topTokens(day: $h, by: VOLUME_USD) { date } }', 'Date!'],
      ['{ topTokens(day: "2026-01-01", by: $h) { date } }', 'TopTokensBy!'],
      ['{ anomalies(entityId: $h) { nodes { anomalyId } } }', 'Address'],
      ['{ anomalies(entityType: $h) { nodes { anomalyId } } }', 'EntityType'],
      ['{ anomalies(after: $h) { nodes { anomalyId } } }', 'String'],
      ['{ anomalies(minSeverity: $h) { nodes { anomalyId } } }', 'Severity'],
      ['{ anomalies(status: $h) { nodes { anomalyId } } }', 'AnomalyStatus'],
      ['{ anomalies(from: $h) { nodes { anomalyId } } }', 'Date'],
      ['{ dataQuality(from: "2026-01-01", to: "2026-01-02", status: $h) { checkName } }', 'DataQualityStatus'],
    ];
    for (const [body, type] of templates) {
      for (const h of hostile) {
        const r = await gql(`query Q($h: ${type}) ${body}`, { h });
        expect(r.status, body).toBeLessThan(500);
        expect(r.body.errors?.length, `${body} with ${h}`).toBeGreaterThan(0);
        expect(
          codes(r).filter((c) => !c.startsWith('ORACUL_GATEWAY_INVALID_')),
          `${body} with ${h}`,
        ).toEqual([]);
        expect(JSON.stringify(r.body)).not.toMatch(/DB::Exception|Code: \d+/);
      }
    }
    expect(await countRows()).toEqual(before);
  });

  it('hostile strings that reach ClickHouse travel only as parameters: matched literally, nothing executed', async () => {
    const before = await countRows();
    const { reader } = gateway;
    for (const h of hostile) {
      expect(await reader.tokenMetricsDaily(h, '2026-01-01', '2026-12-31')).toEqual([]);
      expect(await reader.addressFlowsDaily(h, '2026-01-01', '2026-12-31', h)).toEqual([]);
      expect(await reader.tokensByAddress([h, USDT])).toHaveLength(1);
      expect(
        await reader.anomalies({
          entityType: h,
          entityId: h,
          from: '1970-01-01',
          to: '2149-06-06',
          severities: [h],
          statuses: [h],
          cursor: { day: '2026-01-01', detectedAt: '2026-01-01 00:00:00.000', id: h },
          limit: 10,
        }),
      ).toEqual([]);
      expect(await reader.dataQuality('2026-01-01', '2026-12-31', h, 10)).toEqual([]);
      expect((await reader.tokensPage(h, 500)).length).toBeLessThanOrEqual(7);
    }
    expect(await countRows()).toEqual(before);
  });
});

async function countRows(): Promise<Record<string, string>> {
  const rs = await writer.query({
    query: 'SELECT name, total_rows FROM system.tables WHERE database = {db:String} ORDER BY name',
    query_params: { db: database },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{ name: string; total_rows: string | null }>();
  return Object.fromEntries(rows.map((r) => [r.name, String(r.total_rows)]));
}

describe('subscriptions', () => {
  let sequence = 0;
  const anomaly = (severity: Anomaly['severity'], over: Partial<Anomaly> = {}): Anomaly => {
    sequence += 1;
    return {
      anomaly_id: `live-${randomBytes(6).toString('hex')}-${sequence}`,
      chain_id: 1,
      entity_type: 'token',
      entity_id: USDT,
      token_address: USDT,
      metric: 'volume_usd',
      day: 20_454,
      value: 1e9,
      baseline_center: 1e6,
      baseline_spread: 1e5,
      baseline_days: 28,
      score: 9.9,
      lower_bound: null,
      upper_bound: 1.3e6,
      method: 'robust_zscore',
      severity,
      status: 'open',
      detected_at: Date.now(),
      updated_at: Date.now(),
      version: 1,
      source_version: 1,
      ...over,
    };
  };
  const produce = async (value: Anomaly): Promise<number> => {
    const bytes = await serdes.forTopic('anomalies').serialize(value);
    const sentAt = performance.now();
    await producer.send({ topic: 'anomalies', messages: [{ key: value.anomaly_id, value: bytes }] });
    return sentAt;
  };

  const SUB = `subscription S($min: Severity, $after: String) { anomalyDetected(minSeverity: $min, entityId: "${USDT}", after: $after) {
    eventId kind publishedAt anomaly { anomalyId severity day entityId } } }`;
  type Event = {
    anomalyDetected: { eventId: string; kind: string; anomaly: { anomalyId: string; severity: string; day: string } };
  };

  function wsClient(key: string | undefined): WsClient {
    return createWsClient({
      url: gateway.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: key === undefined ? {} : { 'x-api-key': key },
      retryAttempts: 0,
      lazy: true,
    });
  }

  /** Collects events of one WebSocket subscription. */
  function wsSubscribe(client: WsClient, variables: Record<string, unknown>) {
    const events: { at: number; data: Event }[] = [];
    const errors: unknown[] = [];
    let started = false;
    const dispose = client.subscribe<Event>(
      { query: SUB, variables },
      {
        next: (value) => {
          if (value.data) events.push({ at: performance.now(), data: value.data as Event });
          if (value.errors) errors.push(value.errors);
        },
        error: (error) => errors.push(error),
        complete: () => undefined,
      },
    );
    client.on('connected', () => {
      started = true;
    });
    return { events, errors, dispose, started: () => started };
  }

  /** Collects events of one SSE subscription (graphql-yoga's distinct-connections mode). */
  function sseSubscribe(variables: Record<string, unknown>) {
    const events: { at: number; data: Event }[] = [];
    const controller = new AbortController();
    const done = (async () => {
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-api-key': READ_KEY },
        body: JSON.stringify({ query: SUB, variables }),
        signal: controller.signal,
      });
      expect(response.status).toBe(200);
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) break;
        buffer += decoder.decode(value, { stream: true });
        let split: number;
        while ((split = buffer.indexOf('\n\n')) !== -1) {
          const chunk = buffer.slice(0, split);
          buffer = buffer.slice(split + 2);
          const dataLine = chunk.split('\n').find((l) => l.startsWith('data:'));
          if (chunk.includes('event: next') && dataLine) {
            const payload = JSON.parse(dataLine.slice(5)) as { data: Event };
            events.push({ at: performance.now(), data: payload.data });
          }
        }
      }
    })().catch((error: unknown) => {
      if ((error as Error).name !== 'AbortError') throw error;
    });
    return { events, close: () => controller.abort(), done };
  }

  function withTimeout<T>(promise: Promise<T>, ms = 10_000): Promise<T> {
    return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timed out')), ms))]);
  }

  it('an anomaly produced to Kafka (Avro via the registry) reaches a WebSocket and an SSE client; latency printed', async () => {
    const client = wsClient(READ_KEY);
    await waitUntil(() => gateway.live.subscriberCount === 0);
    const ws = wsSubscribe(client, { min: 'MEDIUM' });
    const sse = sseSubscribe({ min: 'MEDIUM' });
    await waitUntil(() => gateway.live.subscriberCount === 2);

    const low = anomaly('low');
    await produce(low); // filtered out by minSeverity
    const high = anomaly('high');
    const sentAt = await produce(high);
    await waitUntil(() => ws.events.length >= 1 && sse.events.length >= 1);
    const wsLatency = ws.events[0]!.at - sentAt;
    const sseLatency = sse.events[0]!.at - sentAt;
    process.stdout.write(
      `subscription delivery latency (producer send → client): WebSocket ${wsLatency.toFixed(1)} ms, SSE ${sseLatency.toFixed(1)} ms\n`,
    );
    for (const received of [ws.events[0]!.data, sse.events[0]!.data]) {
      expect(received.anomalyDetected).toMatchObject({
        kind: 'NEW',
        anomaly: { anomalyId: high.anomaly_id, severity: 'HIGH', day: '2026-01-01' },
      });
    }

    // Escalation of a medium anomaly fans out again; a repeat at the same severity does not.
    const medium = anomaly('medium');
    await produce(medium);
    await waitUntil(() => ws.events.length >= 2);
    await produce({ ...medium, version: 2, score: 3.1 });
    await produce({ ...medium, version: 3, severity: 'high' });
    await waitUntil(() => ws.events.length >= 3 && sse.events.length >= 3);
    expect(ws.events.map((e) => e.data.anomalyDetected.kind)).toEqual(['NEW', 'NEW', 'ESCALATED']);
    expect(sse.events.map((e) => e.data.anomalyDetected.anomaly.anomalyId)).toEqual([
      high.anomaly_id,
      medium.anomaly_id,
      medium.anomaly_id,
    ]);
    expect(ws.errors).toEqual([]);
    ws.dispose();
    await client.dispose();
    sse.close();
    await sse.done;
  });

  it('a client that reconnects with the last eventId receives what it missed', async () => {
    const first = anomaly('high');
    const client = wsClient(READ_KEY);
    await waitUntil(() => gateway.live.subscriberCount === 0);
    const ws = wsSubscribe(client, {});
    await waitUntil(() => gateway.live.subscriberCount === 1);
    await produce(first);
    await waitUntil(() => ws.events.some((e) => e.data.anomalyDetected.anomaly.anomalyId === first.anomaly_id));
    const lastId = ws.events.at(-1)!.data.anomalyDetected.eventId;
    ws.dispose();
    await client.dispose();

    const missed = [anomaly('medium'), anomaly('high')];
    for (const m of missed) await produce(m);
    await waitUntil(() => gateway.live.anomalies.buffer.after(lastId).length >= 2);

    await waitUntil(() => gateway.live.subscriberCount === 0);
    const again = wsClient(READ_KEY);
    const resumed = wsSubscribe(again, { after: lastId });
    await waitUntil(() => resumed.events.length >= 2);
    expect(resumed.events.map((e) => e.data.anomalyDetected.anomaly.anomalyId)).toEqual(missed.map((m) => m.anomaly_id));
    resumed.dispose();
    await again.dispose();

    const sse = sseSubscribe({ after: lastId });
    await waitUntil(() => sse.events.length >= 2);
    expect(sse.events.map((e) => e.data.anomalyDetected.anomaly.anomalyId)).toEqual(missed.map((m) => m.anomaly_id));
    sse.close();
    await sse.done;
  });

  it('a WebSocket without a valid key is refused; a bad after is an INVALID_CURSOR error', async () => {
    const refused = createWsClient({
      url: gateway.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { 'x-api-key': 'nope' },
      retryAttempts: 0,
      lazy: true,
    });
    const closed = await withTimeout(
      new Promise<number>((resolve) => {
        refused.on('closed', (event) => resolve((event as { code: number }).code));
        refused.subscribe({ query: SUB }, { next: () => undefined, error: () => undefined, complete: () => undefined });
      }),
    );
    expect(closed).toBe(4403);
    await refused.dispose();

    const client = wsClient(READ_KEY);
    const errors = await withTimeout(
      new Promise<unknown>((resolve) => {
        client.subscribe(
          { query: SUB, variables: { after: 'garbage' } },
          { next: (value) => value.errors && resolve(value.errors), error: resolve, complete: () => undefined },
        );
      }),
    );
    expect(JSON.stringify(errors)).toContain('ORACUL_GATEWAY_INVALID_CURSOR');
    await client.dispose();
  });

  it('tokenMetricsUpdated streams live window updates of one token and evicts its cached days', async () => {
    const client = createWsClient({
      url: gateway.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { 'x-api-key': READ_KEY },
      retryAttempts: 0,
      lazy: true,
    });
    const received: {
      tokenMetricsUpdated: { metrics: { date: string; volumeRaw: string; isFinal: boolean; insertedAt: string | null } };
    }[] = [];
    const dispose = client.subscribe<(typeof received)[number]>(
      {
        query: `subscription { tokenMetricsUpdated(token: "${USDT}") { eventId publishedAt metrics { date volumeRaw isFinal insertedAt } } }`,
      },
      {
        next: (v) => void (v.data && received.push(v.data as (typeof received)[number])),
        error: () => undefined,
        complete: () => undefined,
      },
    );
    await waitUntil(() => gateway.live.tokenMetrics.subscribers >= 1);
    // Cache the closed days first (kept from the second read).
    await gql(`{ tokenMetricsDaily(token: "${USDT}", from: "${day(0)}", to: "${day(4)}") { date } }`);
    await gql(`{ tokenMetricsDaily(token: "${USDT}", from: "${day(0)}", to: "${day(4)}") { date } }`);
    const cached = gateway.reader.cache.size;
    expect(cached).toBeGreaterThan(0);
    const responses = gateway.responses.size;
    expect(responses).toBeGreaterThan(0);
    const value = {
      ...metricsRow(USDT, day(1)),
      date: 20_455,
      volume_raw: HUGE,
      volume_usd: null,
      price_staleness_ms: null,
      emitted_at: Date.now(),
      version: 9,
      is_final: false,
      transfer_count: 11,
    };
    const bytes = await serdes.forTopic('token.metrics.daily').serialize(value as never);
    await producer.send({ topic: 'token.metrics.daily', messages: [{ key: `1:${USDT}`, value: bytes }] });
    await waitUntil(() => received.length >= 1);
    expect(received[0]!.tokenMetricsUpdated.metrics).toEqual({
      date: '2026-01-02',
      volumeRaw: HUGE,
      isFinal: false,
      insertedAt: null,
    });
    expect(gateway.reader.cache.size).toBeLessThan(cached);
    expect(gateway.responses.size).toBeLessThan(responses);
    dispose();
    await client.dispose();
  });
});
