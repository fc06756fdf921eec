/**
 * Benchmark: the GraphQL gateway under load, from a second process.
 *
 *   ORACUL_TEST_PORT_OFFSET=100 npx tsx scripts/bench/gateway.ts [--rate 200] [--duration 20] [--tokens 500]
 *     [--addresses 100000] [--days 365] [--anomalies 20000] [--events 300] [--low-rate 5] [--profile-gateway dir]
 *
 * 1. Starts the integration stack (Kafka, registry, ClickHouse engine) on the test ports of
 *    ORACUL_TEST_PORT_OFFSET, wiping its state dir (like the integration tests; do not run both at once).
 * 2. Migrates database `oracul_bench` and fills it in-engine (INSERT … SELECT FROM numbers()):
 *    --days × --tokens rows of token_metrics_daily, --days × --addresses rows of address_flows_daily
 *    (one token per address and day), --anomalies anomalies.
 * 3. Spawns `oracul gateway` as a child process (its own config dir: the repo's config plus a bench API key).
 * 4. autocannon (in this process) at a fixed --rate for --duration seconds per scenario, random arguments per request:
 *    tokenMetricsDaily (90 days, random token and window: mostly cache misses), tokenMetricsDaily (90 days,
 *    20 hot windows: the finalized-day cache), addressFlowsDaily (90 days, random address), anomalies (first 50).
 * 5. Subscription delivery: --events anomalies produced to Kafka (Avro, registry serde) at 50/s, received by a
 *    graphql-ws client; latency from the producer's acknowledged send (the record is committed to the log) to receipt.
 * Prints p50/p97.5/p99/max latency and throughput per scenario (then again at --low-rate 5 req/s, where nothing queues);
 * target p99 < 50 ms at 200 req/s, delivery p99 < 500 ms.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { REPO_ROOT } from '../../config/load.ts';
import type { Common } from '../../core/common.ts';
import { createKafka } from '../../core/kafka/client.ts';
import { ensureDeclaredTopics } from '../../core/kafka/ensure-topics.ts';
import { createLogger } from '../../core/logger.ts';
import { createShutdown } from '../../core/shutdown.ts';
import { createWarehouseClient } from '../../dwh/client.ts';
import { migrate } from '../../dwh/migrate.ts';
import { sha256Hex } from '../../gateway/auth.ts';
import { stackDown, stackPaths, stackUp } from '../../infra/stack/index.ts';
import { createSchemaRegistrySerdes, type Anomaly } from '../../schemas/index.ts';
import { testConfig, testStackEnv } from '../test/test-config.ts';
import { numberArg, textArg } from './args.ts';

const RATE = numberArg('rate', 200);
const DURATION = numberArg('duration', 20);
const TOKENS = numberArg('tokens', 500);
const ADDRESSES = numberArg('addresses', 100_000);
const DAYS = numberArg('days', 365);
const ANOMALIES = numberArg('anomalies', 20_000);
const EVENTS = numberArg('events', 300);
const LOW_RATE = numberArg('low-rate', 5);
const GATEWAY_PORT = 14_000 + (Number.parseInt(process.env.ORACUL_TEST_PORT_OFFSET ?? '0', 10) || 0);
const DATABASE = 'oracul_bench';
const FIRST_DAY = '2025-01-01';
const KEY = `bench-${randomBytes(16).toString('hex')}`;

const logger = createLogger({ level: 'warn', pretty: false, base: { scope: 'bench-gateway' } });
const config = testConfig({ clickhouse: { database: DATABASE, requestTimeoutMs: 900_000 } });
const common: Common = { config, logger, shutdown: createShutdown(logger) };

const tokenAddress = (i: number) => `0x${(i + 1).toString(16).padStart(40, '0')}`;
const addressOf = (i: number) => `0x${(0xa000000 + i).toString(16).padStart(40, '0')}`;
const dayOf = (offset: number) => new Date(Date.parse(`${FIRST_DAY}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);
const randomInt = (n: number) => Math.floor(Math.random() * n);

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await fn();
  console.log(`${label}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

async function seed(): Promise<void> {
  const writer = createWarehouseClient({ config, withoutDatabase: true });
  try {
    await writer.command({ query: `DROP DATABASE IF EXISTS ${DATABASE}` });
    await migrate({ client: writer, database: DATABASE, logger });
    const exec = (query: string, params: Record<string, unknown>) => writer.command({ query, query_params: params });
    await timed(`token_metrics_daily: ${TOKENS * DAYS} rows`, () =>
      exec(
        `INSERT INTO ${DATABASE}.token_metrics_daily
           (date, chain_id, token_address, symbol, decimals, volume_raw, volume_usd, minted_raw, burned_raw, transfer_count,
            priced_transfer_count, tx_count, unique_addresses, price_open, price_high, price_low, price_close, price_source,
            price_staleness_ms, version, is_final, emitted_at)
         SELECT toDate({first:Date}) + (number % {days:UInt32}) AS date, 1,
           concat('0x', leftPad(lower(hex(intDiv(number, {days:UInt32}) + 1)), 40, '0')),
           concat('T', toString(intDiv(number, {days:UInt32}))), 18,
           toUInt256(number + 1) * toUInt256('1000000000000000000000'), toDecimal256((number % 100000) + 0.25, 18),
           toUInt256(number % 7), toUInt256(number % 5), 10 + number % 1000, 10 + number % 900, 9 + number % 800, 5 + number % 500,
           toDecimal128(1.5, 18), toDecimal128(1.75, 18), toDecimal128(1.25, 18), toDecimal128(1.5, 18), 'coingecko:simple_price',
           60000, 1, true, toDateTime64(date, 3, 'UTC') + INTERVAL 1 DAY
         FROM numbers({rows:UInt64})`,
        { first: FIRST_DAY, days: DAYS, rows: TOKENS * DAYS },
      ),
    );
    // address_flows_daily in slices of days (one request per slice keeps each insert bounded).
    const slice = Math.max(1, Math.floor(2_000_000 / ADDRESSES));
    await timed(`address_flows_daily: ${ADDRESSES * DAYS} rows`, async () => {
      for (let start = 0; start < DAYS; start += slice) {
        const days = Math.min(slice, DAYS - start);
        await exec(
          `INSERT INTO ${DATABASE}.address_flows_daily
             (date, chain_id, address, token_address, symbol, inflow_raw, outflow_raw, net_flow_raw, inflow_usd, outflow_usd,
              net_flow_usd, transfer_count, tx_count, counterparties_count, version, is_final, emitted_at)
           SELECT toDate({first:Date}) + {start:UInt32} + intDiv(number, {addresses:UInt32}) AS date, 1,
             concat('0x', leftPad(lower(hex(0xa000000 + number % {addresses:UInt32})), 40, '0')),
             concat('0x', leftPad(lower(hex(1 + number % {tokens:UInt32})), 40, '0')), NULL,
             toUInt256(number * 3 + 1), toUInt256(number), toInt256(number * 2 + 1),
             toDecimal256(number % 1000, 18), toDecimal256(number % 300, 18), toDecimal256(number % 1000, 18) - toDecimal256(number % 300, 18),
             1 + number % 20, 1 + number % 15, 1 + number % 10, 1, true, toDateTime64(date, 3, 'UTC') + INTERVAL 1 DAY
           FROM numbers({rows:UInt64})`,
          { first: FIRST_DAY, start, addresses: ADDRESSES, tokens: TOKENS, rows: ADDRESSES * days },
        );
      }
    });
    await timed(`anomalies: ${ANOMALIES} rows`, () =>
      exec(
        `INSERT INTO ${DATABASE}.anomalies
           (anomaly_id, chain_id, entity_type, entity_id, token_address, metric, day, value, baseline_center, baseline_spread,
            baseline_days, score, lower_bound, upper_bound, method, severity, status, detected_at, updated_at, version, source_version)
         SELECT lower(hex(SHA256(toString(number)))), 1, if(number % 4 = 0, 'address', 'token') AS et,
           if(et = 'token', concat('0x', leftPad(lower(hex(1 + number % {tokens:UInt32})), 40, '0')),
                            concat('0x', leftPad(lower(hex(0xa000000 + number % {addresses:UInt32})), 40, '0'))),
           concat('0x', leftPad(lower(hex(1 + number % {tokens:UInt32})), 40, '0')), 'volume_usd',
           toDate({first:Date}) + (number % {days:UInt32}) AS d, 1000 + number, 100, 10, 28, 4 + (number % 5), NULL, 130, 'robust_zscore',
           ['low', 'medium', 'high'][1 + number % 3], if(number % 10 = 0, 'open', 'final'),
           toDateTime64(d, 3, 'UTC') + INTERVAL (number % 86400) SECOND AS t, t, 1, 1
         FROM numbers({rows:UInt64})`,
        { first: FIRST_DAY, days: DAYS, tokens: TOKENS, addresses: ADDRESSES, rows: ANOMALIES },
      ),
    );
    // Merge the inserted parts as a long-running warehouse would have; FINAL then has little to do.
    await timed('OPTIMIZE TABLE … FINAL', async () => {
      for (const table of ['token_metrics_daily', 'address_flows_daily', 'anomalies']) {
        await writer.command({ query: `OPTIMIZE TABLE ${DATABASE}.${table} FINAL` });
      }
    });
  } finally {
    await writer.close();
  }
}

function startGatewayProcess(): ChildProcess {
  const dir = mkdtempSync(join(tmpdir(), 'oracul-bench-config-'));
  for (const file of readdirSync(join(REPO_ROOT, 'config')).filter((f) => /\.ya?ml$/.test(f) && f !== 'gateway.yml')) {
    copyFileSync(join(REPO_ROOT, 'config', file), join(dir, file));
  }
  writeFileSync(
    join(dir, 'gateway.yml'),
    `port: ${GATEWAY_PORT}\nrateLimitPerSecond: 100000\nmaxRangeDays: 366\napiKeys:\n  - id: bench\n    role: ops\n    sha256: ${sha256Hex(KEY)}\n`,
  );
  // --profile-gateway <dir>: the gateway writes a V8 CPU profile there when it exits (inspect in Chrome DevTools).
  const profileDir = textArg('profile-gateway');
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(process.execPath, [...nodeArgs, join(REPO_ROOT, 'scripts/oracul.mjs'), 'gateway'], {
    env: {
      ...process.env,
      ...testStackEnv(config),
      ORACUL_CONFIG_DIR: dir,
      ORACUL_CLICKHOUSE_DATABASE: DATABASE,
      ORACUL_LOG_LEVEL: 'warn',
      ORACUL_ENV: 'test',
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return child;
}

async function waitReady(origin: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const status = await fetch(`${origin}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('gateway did not become ready');
}

interface Scenario {
  name: string;
  body: () => { query: string; variables: Record<string, unknown> };
}

const METRICS_FIELDS = 'date volumeRaw volumeUsd transferCount uniqueAddresses priceClose isFinal version';
const hotWindows = Array.from({ length: 20 }, () => ({ token: tokenAddress(randomInt(TOKENS)), start: randomInt(DAYS - 90) }));

const scenarios: Scenario[] = [
  {
    name: 'tokenMetricsDaily 90 days (random token and window)',
    body: () => {
      const start = randomInt(DAYS - 90);
      return {
        query: `query M($t: Address!, $f: Date!, $to: Date!) { tokenMetricsDaily(token: $t, from: $f, to: $to) { ${METRICS_FIELDS} } }`,
        variables: { t: tokenAddress(randomInt(TOKENS)), f: dayOf(start), to: dayOf(start + 89) },
      };
    },
  },
  {
    name: 'tokenMetricsDaily 90 days (20 hot windows, cached)',
    body: () => {
      const w = hotWindows[randomInt(hotWindows.length)]!;
      return {
        query: `query M($t: Address!, $f: Date!, $to: Date!) { tokenMetricsDaily(token: $t, from: $f, to: $to) { ${METRICS_FIELDS} } }`,
        variables: { t: w.token, f: dayOf(w.start), to: dayOf(w.start + 89) },
      };
    },
  },
  {
    name: 'addressFlowsDaily 90 days (random address and window)',
    body: () => {
      const start = randomInt(DAYS - 90);
      return {
        query: `query F($a: Address!, $f: Date!, $to: Date!) { addressFlowsDaily(address: $a, from: $f, to: $to) { date tokenAddress inflowRaw outflowRaw netFlowRaw netFlowUsd transferCount } }`,
        variables: { a: addressOf(randomInt(ADDRESSES)), f: dayOf(start), to: dayOf(start + 89) },
      };
    },
  },
  {
    name: 'anomalies first 50 (newest)',
    body: () => ({
      query: `{ anomalies(first: 50) { edges { cursor node { anomalyId entityType entityId metric day value score severity status detectedAt } } pageInfo { hasNextPage endCursor } } }`,
      variables: {},
    }),
  },
];

async function runScenario(url: string, scenario: Scenario, rate = RATE, duration = DURATION): Promise<void> {
  // Warm-up (connections, JIT), not measured.
  await autocannon({
    url,
    method: 'POST',
    connections: 10,
    amount: 200,
    headers: { 'content-type': 'application/json', 'x-api-key': KEY },
    requests: [{ setupRequest: (r) => ({ ...r, body: JSON.stringify(scenario.body()) }) }],
  });
  const result = await autocannon({
    url,
    method: 'POST',
    connections: 32,
    overallRate: rate,
    duration,
    headers: { 'content-type': 'application/json', 'x-api-key': KEY },
    requests: [{ setupRequest: (r) => ({ ...r, body: JSON.stringify(scenario.body()) }) }],
  });
  const errors = result.errors + result.timeouts + result.non2xx;
  console.log(
    `${scenario.name.padEnd(55)} p50 ${String(result.latency.p50).padStart(4)} ms  p97.5 ${String(result.latency.p97_5).padStart(4)} ms  p99 ${String(
      result.latency.p99,
    ).padStart(
      4,
    )} ms  max ${String(result.latency.max).padStart(5)} ms  ${result.requests.average.toFixed(0)} req/s  (${result.requests.total} requests, ${errors} errors)`,
  );
}

async function subscriptionLatency(wsUrl: string): Promise<void> {
  const serdes = createSchemaRegistrySerdes({ config });
  const producer = createKafka({ config, logger, clientSuffix: 'bench-gateway' }).producer();
  await producer.connect();
  const client = createWsClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { 'x-api-key': KEY },
    retryAttempts: 0,
  });
  const received = new Map<string, number>();
  const dispose = client.subscribe<{ anomalyDetected: { anomaly: { anomalyId: string } } }>(
    { query: 'subscription { anomalyDetected { eventId anomaly { anomalyId } } }' },
    {
      next: (v) => {
        const id = (v.data as { anomalyDetected: { anomaly: { anomalyId: string } } } | undefined)?.anomalyDetected.anomaly
          .anomalyId;
        if (id) received.set(id, performance.now());
      },
      error: (e) => console.error('subscription error', e),
      complete: () => undefined,
    },
  );
  await new Promise((r) => setTimeout(r, 1_000));
  const committed = new Map<string, number>();
  for (let i = 0; i < EVENTS; i += 1) {
    const value: Anomaly = {
      anomaly_id: `bench-${randomBytes(8).toString('hex')}`,
      chain_id: 1,
      entity_type: 'token',
      entity_id: tokenAddress(i % TOKENS) as Anomaly['entity_id'],
      token_address: null,
      metric: 'volume_usd',
      day: 20_454,
      value: 1,
      baseline_center: 0,
      baseline_spread: 1,
      baseline_days: 28,
      score: 9,
      lower_bound: null,
      upper_bound: 3,
      method: 'robust_zscore',
      severity: 'high',
      status: 'open',
      detected_at: Date.now(),
      updated_at: Date.now(),
      version: 1,
      source_version: 1,
    };
    const bytes = await serdes.forTopic('anomalies').serialize(value);
    await producer.send({ topic: 'anomalies', acks: -1, messages: [{ key: value.anomaly_id, value: bytes }] });
    committed.set(value.anomaly_id, performance.now());
    await new Promise((r) => setTimeout(r, 20));
  }
  const deadline = Date.now() + 10_000;
  while (received.size < committed.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const latencies = [...committed]
    .flatMap(([id, at]) => (received.has(id) ? [Math.max(0, received.get(id)! - at)] : []))
    .sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!.toFixed(1);
  console.log(
    `${'anomalyDetected delivery (Kafka ack → WebSocket client)'.padEnd(55)} p50 ${q(0.5)} ms  p99 ${q(0.99)} ms  max ${latencies.at(-1)!.toFixed(1)} ms  (${latencies.length}/${committed.size} delivered)`,
  );
  dispose();
  await client.dispose();
  await producer.disconnect();
}

async function main(): Promise<void> {
  const paths = stackPaths(config);
  await stackDown(common);
  await rm(paths.stateRoot, { recursive: true, force: true });
  await timed('stack up', () => stackUp(common));
  let child: ChildProcess | undefined;
  try {
    await seed();
    await ensureDeclaredTopics({ config, logger });
    await createSchemaRegistrySerdes({ config }).registerAll();
    child = startGatewayProcess();
    const origin = `http://127.0.0.1:${GATEWAY_PORT}`;
    await timed('gateway ready', () => waitReady(origin));
    console.log(
      `\nload: ${RATE} req/s for ${DURATION} s per scenario (autocannon, 32 connections, this process; gateway: child process)\n`,
    );
    for (const scenario of scenarios) await runScenario(`${origin}/graphql`, scenario);
    console.log(`\nsame scenarios at ${LOW_RATE} req/s for 10 s (no queueing: the cost of one request)\n`);
    for (const scenario of scenarios) await runScenario(`${origin}/graphql`, scenario, LOW_RATE, 10);
    await subscriptionLatency(`ws://127.0.0.1:${GATEWAY_PORT}/graphql`);
  } finally {
    child?.kill('SIGTERM');
    await stackDown(common);
  }
}

await main();
process.exit(0);
