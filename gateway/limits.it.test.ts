import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClickHouseClient } from '@clickhouse/client';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureDeclaredTopics } from '../core/kafka/ensure-topics.ts';
import { createLogger } from '../core/logger.ts';
import { addDays } from '../core/time.ts';
import { createWarehouseClient } from '../dwh/client.ts';
import { migrate } from '../dwh/migrate.ts';
import { createSchemaRegistrySerdes } from '../schemas/index.ts';
import { testConfig } from '../scripts/test/test-config.ts';
import { sha256Hex } from './auth.ts';
import type { Gateway } from './server.ts';
import { startReadyGateway } from './testing/start-ready-gateway.ts';
import { waitUntil } from './testing/wait-until.ts';

// Issue 15, finding 4: limits that count work. A real gateway whose warehouse traffic passes through a
// counting HTTP proxy in front of the real warehouse endpoint, so the tests see the queries actually sent.
const database = `oracul_gwlim_${process.env.VITEST_POOL_ID ?? '0'}_${randomBytes(4).toString('hex')}`;
const READ_KEY = `read-${randomBytes(12).toString('hex')}`;
const SUB_KEY = `sub-${randomBytes(12).toString('hex')}`;
const MAX_QUERIES = 4;
const PER_KEY = 3;
const PER_CONNECTION = 2;
const READINESS_INTERVAL_MS = 1_000;
const logger = createLogger({ level: process.env.GATEWAY_IT_LOG === '1' ? 'debug' : 'silent', pretty: false });

const USDT = '0xdac17f958d2ee523a2206206994597c13d831ec7';
const ALICE = '0x1111111111111111111111111111111111111111';
const BOB = '0x2222222222222222222222222222222222222222';
/** Distinct tokens in BOB's flows of one day: more than 3 token-lookup batches of 500. */
const BOB_TOKENS = 1_600;

/** Forwards every request to the warehouse endpoint and records its statement; `down` answers 503 instead. */
class CountingProxy {
  readonly statements: string[] = [];
  down = false;
  private server: Server | undefined;

  constructor(private readonly target: string) {}

  async start(): Promise<string> {
    // Token lookups carry up to 500 addresses in the URL: as large a header limit as the endpoint's.
    this.server = createServer({ maxHeaderSize: 1024 * 1024 }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        this.statements.push(`${decodeURIComponent(req.url ?? '')}\n${body.toString('utf8')}`);
        if (this.down) {
          res.writeHead(503).end('warehouse down (test)');
          return;
        }
        const upstream = httpRequest(new URL(req.url ?? '/', this.target), { method: req.method, headers: req.headers }, (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        });
        upstream.on('error', (error) => res.destroy(error));
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  count(pattern: RegExp): number {
    return this.statements.filter((s) => pattern.test(s)).length;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const PING = /SELECT 1 AS ok/;
const FLOWS = /FROM (gateway_)?address_flows_daily\b/;
const METRICS = /FROM (gateway_)?token_metrics_daily\b/;
// The token metadata lookup (tokensByAddress), not the flows statement, which also reads `address IN {addresses…}`.
const TOKEN_LOOKUP = /FROM tokens FINAL\s+WHERE chain_id = \{chain_id:UInt64\} AND address IN \{addresses/;
const NOT_PING = /^(?![\s\S]*SELECT 1 AS ok)/;

let writer: ClickHouseClient;
let gateway: Gateway;
let proxy: CountingProxy;

interface GqlBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function gql(query: string, key = READ_KEY): Promise<{ status: number; body: GqlBody }> {
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-api-key': key },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as GqlBody };
}
const codes = (body: GqlBody): string[] => (body.errors ?? []).map((e) => e.extensions?.code ?? 'NONE');

function day(offset: number): string {
  return addDays('2025-01-01', offset);
}
const tokenAddress = (i: number): string => `0x${(0xa000_0000 + i).toString(16).padStart(40, '0')}`;

function flowRow(address: string, token: string, date: string) {
  return {
    date,
    chain_id: 1,
    address,
    token_address: token,
    symbol: null,
    inflow_raw: '10',
    outflow_raw: '5',
    net_flow_raw: '5',
    inflow_usd: null,
    outflow_usd: null,
    net_flow_usd: null,
    transfer_count: 2,
    tx_count: 2,
    counterparties_count: 1,
    version: 1,
    is_final: true,
    emitted_at: Date.UTC(2025, 0, 20),
  };
}

function metricsRow(date: string) {
  return {
    date,
    chain_id: 1,
    token_address: USDT,
    symbol: 'USDT',
    decimals: 6,
    volume_raw: '1000',
    volume_usd: '1',
    minted_raw: '0',
    burned_raw: '0',
    transfer_count: 10,
    priced_transfer_count: 10,
    tx_count: 9,
    unique_addresses: 7,
    price_open: '1',
    price_high: '1',
    price_low: '1',
    price_close: '1',
    price_source: 'coingecko:simple_price',
    price_staleness_ms: 1000,
    version: 1,
    is_final: true,
    emitted_at: Date.UTC(2025, 0, 20),
  };
}

beforeAll(async () => {
  const base = testConfig();
  proxy = new CountingProxy(base.clickhouse.url);
  const proxyUrl = await proxy.start();
  const config = testConfig({
    logLevel: 'silent',
    clickhouse: { database, url: proxyUrl },
    gateway: {
      rateLimitPerSecond: 10_000,
      maxAliases: 15,
      maxWarehouseQueriesPerOperation: MAX_QUERIES,
      maxSubscriptionsPerKey: PER_KEY,
      maxSubscriptionsPerConnection: PER_CONNECTION,
      readinessIntervalMs: READINESS_INTERVAL_MS,
      apiKeys: [
        { id: 'lim-read', role: 'read', sha256: sha256Hex(READ_KEY) },
        { id: 'lim-sub', role: 'read', sha256: sha256Hex(SUB_KEY) },
      ],
    },
  });
  // Seeding goes straight to the warehouse endpoint, not through the proxy.
  writer = createWarehouseClient({ config: base, withoutDatabase: true });
  await migrate({ client: writer, database, logger });
  const insert = (table: string, values: Record<string, unknown>[]) =>
    writer.insert({ table: `${database}.${table}`, format: 'JSONEachRow', values });
  await insert('address_flows_daily', [
    ...Array.from({ length: 20 }, (_, i) => flowRow(ALICE, USDT, day(i))),
    ...Array.from({ length: BOB_TOKENS }, (_, i) => flowRow(BOB, tokenAddress(i), day(0))),
  ]);
  await insert(
    'token_metrics_daily',
    Array.from({ length: 20 }, (_, i) => metricsRow(day(i))),
  );
  await ensureDeclaredTopics({ config, logger });
  await createSchemaRegistrySerdes({ config }).registerAll();
  gateway = await startReadyGateway({ config, logger, port: 0 });
});

afterAll(async () => {
  await gateway?.close();
  await proxy?.stop();
  await writer?.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
  await writer?.close();
});

describe('warehouse queries count in the cost of an operation', () => {
  it('15 aliased addressFlowsDaily (one with token lookups) are refused before any query is sent', async () => {
    const before = proxy.count(NOT_PING);
    const fields = Array.from(
      { length: 15 },
      (_, i) =>
        `a${i}: addressFlowsDaily(address: "${ALICE}", from: "${day(i)}", to: "${day(i)}") { date ${i === 0 ? 'token { symbol }' : ''} }`,
    );
    const r = await gql(`{ ${fields.join(' ')} }`);
    expect(codes(r.body)).toContain('ORACUL_GATEWAY_WAREHOUSE_LIMIT');
    expect(r.body.data ?? null).toBeNull();
    expect(proxy.count(NOT_PING) - before).toBe(0);
  });

  it('15 aliased tokenMetricsDaily are refused before any query is sent', async () => {
    const before = proxy.count(NOT_PING);
    const fields = Array.from(
      { length: 15 },
      (_, i) => `m${i}: tokenMetricsDaily(token: "${USDT}", from: "${day(i)}", to: "${day(i + 1)}") { date }`,
    );
    const r = await gql(`{ ${fields.join(' ')} }`);
    expect(codes(r.body)).toContain('ORACUL_GATEWAY_WAREHOUSE_LIMIT');
    expect(proxy.count(NOT_PING) - before).toBe(0);
  });

  it('an operation within the budget runs: one query per aliased field, as the warehouse saw them', async () => {
    const before = { flows: proxy.count(FLOWS), metrics: proxy.count(METRICS) };
    const r = await gql(`{
      f0: addressFlowsDaily(address: "${ALICE}", from: "${day(15)}", to: "${day(15)}") { date }
      f1: addressFlowsDaily(address: "${ALICE}", from: "${day(16)}", to: "${day(16)}") { date }
      m0: tokenMetricsDaily(token: "${USDT}", from: "${day(15)}", to: "${day(15)}") { date }
      m1: tokenMetricsDaily(token: "${USDT}", from: "${day(16)}", to: "${day(16)}") { date } }`);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data).toEqual({
      f0: [{ date: day(15) }],
      f1: [{ date: day(16) }],
      m0: [{ date: day(15) }],
      m1: [{ date: day(16) }],
    });
    expect(proxy.count(FLOWS) - before.flows).toBe(2);
    expect(proxy.count(METRICS) - before.metrics).toBe(2);
  });

  it('queries a document cannot announce (token lookup batches of 1 600 tokens) stop at the budget while running', async () => {
    const before = { flows: proxy.count(FLOWS), lookups: proxy.count(TOKEN_LOOKUP) };
    const r = await gql(
      `{ addressFlowsDaily(address: "${BOB}", from: "${day(0)}", to: "${day(0)}") { tokenAddress token { symbol } } }`,
    );
    // 1 flows query + 4 lookup batches of ≤ 500 would be 5: the 5th is refused before it is sent.
    expect(codes(r.body)).toContain('ORACUL_GATEWAY_WAREHOUSE_LIMIT');
    expect(proxy.count(FLOWS) - before.flows).toBe(1);
    expect(proxy.count(TOKEN_LOOKUP) - before.lookups).toBe(MAX_QUERIES - 1);
  });
});

describe('request bodies are limited by their Content-Length before Yoga reads them', () => {
  /** A POST whose body is written in `chunks` (chunked transfer encoding unless `length` is given). */
  function post(chunks: string[], length?: number): Promise<{ status: number; body: GqlBody }> {
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'x-api-key': READ_KEY };
    if (length !== undefined) headers['content-length'] = length;
    return new Promise((resolve, reject) => {
      const req = httpRequest(gateway.url, { method: 'POST', headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as GqlBody }));
      });
      req.on('error', reject);
      for (const chunk of chunks) req.write(chunk);
      req.end();
    });
  }

  it('a body within gateway.maxRequestBodyBytes runs; one over it is 413, one without a length 411', async () => {
    const query = JSON.stringify({ query: '{ __typename }' });
    const ok = await post([query], Buffer.byteLength(query));
    expect(ok).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });

    const padded = JSON.stringify({ query: '{ __typename }', extensions: { pad: 'x'.repeat(1_048_576) } });
    const tooLarge = await post([padded], Buffer.byteLength(padded));
    expect(tooLarge.status).toBe(413);
    expect(codes(tooLarge.body)).toEqual(['ORACUL_GATEWAY_BAD_REQUEST_BODY']);

    const chunked = await post([query.slice(0, 5), query.slice(5)]);
    expect(chunked.status).toBe(411);
    expect(codes(chunked.body)).toEqual(['ORACUL_GATEWAY_BAD_REQUEST_BODY']);
  });
});

describe('/readyz answers from state refreshed in the background', () => {
  it('200 concurrent /readyz calls cost the warehouse only the background checks; the answer carries its age', async () => {
    const started = Date.now();
    const pingsBefore = proxy.count(PING);
    const responses = await Promise.all(Array.from({ length: 200 }, () => fetch(`${gateway.origin}/readyz`)));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as {
      status: string;
      checkAgeMs: number;
      components: Record<string, unknown>[];
    }[];
    const elapsed = Date.now() - started;
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const pings = proxy.count(PING) - pingsBefore;
    expect(pings).toBeLessThanOrEqual(Math.ceil(elapsed / READINESS_INTERVAL_MS) + 1);
    for (const body of bodies) {
      expect(body.status).toBe('ready');
      expect(body.checkAgeMs).toBeGreaterThanOrEqual(0);
      expect(body.checkAgeMs).toBeLessThan(READINESS_INTERVAL_MS * 3 + 5_000);
      // Up/down per component only: no broker counts, subscriber counts or error texts without a key.
      expect(body.components).toEqual([
        { name: 'warehouse', status: 'UP' },
        { name: 'kafka', status: 'UP' },
        { name: 'live-feed', status: 'UP' },
      ]);
    }
  });

  it('a warehouse outage shows within a refresh interval or two, and the recovery too', async () => {
    const within = { timeout: READINESS_INTERVAL_MS * 3 + 5_000, interval: 100 };
    proxy.down = true;
    try {
      const body = await vi.waitFor(async () => {
        const response = await fetch(`${gateway.origin}/readyz`);
        expect(response.status).toBe(503);
        return (await response.json()) as { components: { name: string; status: string }[] };
      }, within);
      expect(body.components.find((c) => c.name === 'warehouse')?.status).toBe('DOWN');
    } finally {
      proxy.down = false;
    }
    await vi.waitFor(async () => expect((await fetch(`${gateway.origin}/readyz`)).status).toBe(200), within);
  });
});

describe('concurrent subscriptions are capped per key and per connection', () => {
  const SUB = `subscription { anomalyDetected(entityId: "${USDT}") { eventId } }`;
  type Outcome = { accepted: true; dispose: () => void } | { accepted: false; codes: string[] };

  function wsClient(key: string): WsClient {
    return createWsClient({
      url: gateway.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { 'x-api-key': key },
      retryAttempts: 0,
      lazy: true,
    });
  }

  /** Subscribes and waits until the gateway counts one more subscriber, or the subscription is refused. */
  async function wsSubscribe(client: WsClient): Promise<Outcome> {
    const before = gateway.live.subscriberCount;
    let refused: string[] | undefined;
    const dispose = client.subscribe(
      { query: SUB },
      {
        next: (value) => {
          if (value.errors) refused = value.errors.map((e) => String(e.extensions?.code));
        },
        error: (error) => {
          refused = [String(error)];
        },
        complete: () => undefined,
      },
    );
    await waitUntil(() => refused !== undefined || gateway.live.subscriberCount > before);
    return refused ? { accepted: false, codes: refused } : { accepted: true, dispose };
  }

  /** The same over SSE. */
  async function sseSubscribe(key: string): Promise<Outcome> {
    const before = gateway.live.subscriberCount;
    const controller = new AbortController();
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-api-key': key },
      body: JSON.stringify({ query: SUB }),
      signal: controller.signal,
    });
    let refused: string[] | undefined;
    let text = '';
    const reading = (async () => {
      const decoder = new TextDecoder();
      const reader = response.body!.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
        const errors = [...text.matchAll(/"code":"([A-Z_]+)"/g)].map((m) => m[1]!);
        if (errors.length > 0) refused = errors;
      }
    })().catch((error: unknown) => {
      if ((error as Error).name !== 'AbortError') throw error;
    });
    await waitUntil(() => refused !== undefined || gateway.live.subscriberCount > before);
    if (refused) {
      controller.abort();
      await reading;
      return { accepted: false, codes: refused };
    }
    return { accepted: true, dispose: () => controller.abort() };
  }

  const refusedWith = (outcome: Outcome): string[] => (outcome.accepted ? ['ACCEPTED'] : outcome.codes);

  it('per connection, per key across connections and SSE, released on complete and on close', async () => {
    await waitUntil(() => gateway.live.subscriberCount === 0);
    const a = wsClient(SUB_KEY);
    const a1 = await wsSubscribe(a);
    const a2 = await wsSubscribe(a);
    expect([a1.accepted, a2.accepted]).toEqual([true, true]);
    // A third on the same socket: over the per-connection cap (2).
    expect(refusedWith(await wsSubscribe(a))).toEqual(['ORACUL_GATEWAY_SUBSCRIPTION_LIMIT']);

    const b = wsClient(SUB_KEY);
    const b1 = await wsSubscribe(b);
    expect(b1.accepted).toBe(true);
    // The key now holds 3 (its cap) over two sockets: a fourth is refused on WebSocket and on SSE.
    expect(refusedWith(await wsSubscribe(b))).toEqual(['ORACUL_GATEWAY_SUBSCRIPTION_LIMIT']);
    expect(refusedWith(await sseSubscribe(SUB_KEY))).toEqual(['ORACUL_GATEWAY_SUBSCRIPTION_LIMIT']);
    expect(gateway.live.subscriberCount).toBe(3);

    // Another key is not affected.
    const other = wsClient(READ_KEY);
    const o1 = await wsSubscribe(other);
    expect(o1.accepted).toBe(true);
    await other.dispose();
    await waitUntil(() => gateway.live.subscriberCount === 3);

    // Completing one subscription frees its slot.
    if (b1.accepted) b1.dispose();
    await waitUntil(() => gateway.live.subscriberCount === 2);
    const b2 = await wsSubscribe(b);
    expect(b2.accepted).toBe(true);

    // Closing a socket frees all of its slots: SSE subscriptions of the key are accepted again.
    await a.dispose();
    await waitUntil(() => gateway.live.subscriberCount === 1);
    const s1 = await sseSubscribe(SUB_KEY);
    const s2 = await sseSubscribe(SUB_KEY);
    expect([s1.accepted, s2.accepted]).toEqual([true, true]);
    expect(refusedWith(await sseSubscribe(SUB_KEY))).toEqual(['ORACUL_GATEWAY_SUBSCRIPTION_LIMIT']);

    // An SSE client that goes away frees its slot too.
    if (s1.accepted) s1.dispose();
    await waitUntil(() => gateway.live.subscriberCount === 2);
    expect((await wsSubscribe(b)).accepted).toBe(true);

    if (s2.accepted) s2.dispose();
    await b.dispose();
    await waitUntil(() => gateway.live.subscriberCount === 0);
  });
});

describe('shared answers of changing lists (gateway.recentCacheMs, 1 s)', () => {
  it('past its window a hot list is answered at once from the last result while one refresh runs, even a failing one', async () => {
    const ANOMALIES = /FROM anomalies FINAL/;
    const q = '{ anomalies(first: 7) { edges { cursor } pageInfo { hasNextPage } } }';
    const before = proxy.count(ANOMALIES);
    const first = await gql(q);
    expect(codes(first.body)).toEqual([]);
    await Promise.all(Array.from({ length: 10 }, () => gql(q)));
    expect(proxy.count(ANOMALIES) - before).toBe(1);
    await new Promise((r) => setTimeout(r, 1_200));
    // The warehouse fails from now on: readers of the expired entry must not wait for (or see) its refresh.
    proxy.down = true;
    try {
      const answers = await Promise.all(Array.from({ length: 10 }, () => gql(q)));
      for (const answer of answers) expect(answer.body).toEqual(first.body);
      await waitUntil(() => proxy.count(ANOMALIES) - before >= 2);
      expect(proxy.count(ANOMALIES) - before).toBe(2);
    } finally {
      proxy.down = false;
    }
  });
});
