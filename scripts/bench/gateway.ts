/**
 * Benchmark: the GraphQL gateway under load on mainnet-sized marts, each scenario next to the same SQL sent
 * directly to the warehouse endpoint in the same run (the gateway's overhead ratio).
 *
 *   ORACUL_TEST_PORT_OFFSET=3100 npx tsx scripts/bench/gateway.ts [--rate 200] [--duration 20] [--low-rate 5 (0: none)]
 *     [--tokens 10000] [--addresses 137000] [--days 365] [--anomalies 20000] [--events 300] [--only a,b]
 *     [--profile-gateway dir] [--gateway-node-options '--max-semi-space-size=32']
 *   (a CPU profile of the gateway: --profile-gateway <dir>, which passes --cpu-prof on the command line; Node refuses
 *   --cpu-prof in NODE_OPTIONS, which --gateway-node-options sets. Summarise it with
 *   scripts/bench/gateway/profile-summary.ts; scripts/bench/gateway/cpu.ts measures the gateway's CPU per request
 *   over a stub endpoint, without the stack.)
 *
 * 1. Starts the local stack (Kafka, registry, warehouse endpoint) on the test ports of ORACUL_TEST_PORT_OFFSET
 *    in its own state dir (.infra/bench-gateway-<offset>). Kafka's and the registry's state are wiped; the
 *    warehouse's is kept, so the seeded database survives between runs.
 * 2. Migrates database `oracul_bench_gateway` and, unless it already holds exactly the requested rows, fills it
 *    in-engine (INSERT … SELECT FROM numbers(), through the marts, so the serving tables of migration 0011 fill
 *    through their materialized views as in production): --tokens × --days token_metrics_daily rows (default
 *    3.65 M), --addresses × --days address_flows_daily rows (default 50 M), --anomalies anomalies; then merges
 *    (OPTIMIZE … FINAL), as a long-running warehouse has merged its closed days. Seeding 50 M rows takes minutes,
 *    once.
 * 3. Spawns `oracul gateway` as a child process (its own config dir: the repo's config plus a bench API key).
 * 4. Per scenario, at a fixed --rate for --duration seconds (requests evenly spaced, 32 keep-alive connections, in
 *    this process: scripts/bench/paced-load.ts; `--generator autocannon` for autocannon's per-second bursts), random
 *    arguments per request: first the statement the gateway sends for it, POSTed directly to the warehouse
 *    endpoint as the read-only user with the same parameters ("direct"), the same request through a bare forwarding
 *    process (scripts/bench/gateway-proxy.ts, "proxy": what an extra process hop alone costs, the paired baseline of
 *    the overhead ratio), then the GraphQL request ("gateway").
 *    Scenarios: tokenMetricsDaily 90 days (random token and window: finalized-day cache misses),
 *    addressFlowsDaily 90 days (random address and window), anomalies(first: 50), tokenMetricsDaily 90 days
 *    over 20 hot windows (the finalized-day cache); and, direct only, the FINAL reads the gateway sent before
 *    migration 0011 (the baseline). Then the same at --low-rate (nothing queues: the cost of one request).
 * 5. Subscription delivery: --events anomalies produced to Kafka at 50/s, received by a graphql-ws client;
 *    latency from the producer's acknowledged send to receipt.
 * Every line prints p50/p99/max, throughput, errors, and for the run: wall time, CPU of this process (the load
 * generator), of the gateway and of the warehouse endpoint (/proc), and the 1-minute load average. The machine
 * is shared: compare the ratio gateway/direct of one run, not absolute figures across runs.
 * Targets (docs/performance.md, "Gateway reads"): uncached 90-day reads p99 < 50 ms at 200 req/s, gateway p50 ≤ 1.5 × direct p50,
 * anomalies and cached days p99 < 20 ms at 200 req/s, subscription delivery p99 < 500 ms.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
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
import { FINAL_REFERENCE_SQL, KEYED_JSON_ROW_STATEMENTS, SQL, type SqlName } from '../../gateway/sql.ts';
import { MAX_FLOW_ROWS } from '../../gateway/warehouse.ts';
import { addDays } from '../../core/time.ts';
import { readPidRecord } from '../../infra/stack/process-control.ts';
import { stackDown, stackPaths, stackUp } from '../../infra/stack/index.ts';
import { createSchemaRegistrySerdes, type Anomaly } from '../../schemas/index.ts';
import { testConfig, testStackEnv } from '../test/test-config.ts';
import { numberArg, textArg } from './args.ts';
import { spawnListeningScript } from './listening-script.ts';
import { pacedLoad, quantileOf, type PacedRequest } from './paced-load.ts';

const RATE = numberArg('rate', 200);
const DURATION = numberArg('duration', 20);
const TOKENS = numberArg('tokens', 10_000);
const ADDRESSES = numberArg('addresses', 137_000);
const DAYS = numberArg('days', 365);
const ANOMALIES = numberArg('anomalies', 20_000);
const EVENTS = numberArg('events', 300);
const LOW_RATE = numberArg('low-rate', 5);
const ONLY = textArg('only')?.split(',');
const GATEWAY_NODE_OPTIONS = textArg('gateway-node-options');
/** `paced` (default): requests evenly spread over each second; `autocannon`: its per-second bursts (figures before 2026-12-06 evening). */
const GENERATOR = textArg('generator') ?? 'paced';
const OFFSET = Number.parseInt(process.env.ORACUL_TEST_PORT_OFFSET ?? '0', 10) || 0;
const GATEWAY_PORT = 14_000 + OFFSET;
const DATABASE = 'oracul_bench_gateway';
const FIRST_DAY = '2025-01-01';
const KEY = `bench-${randomBytes(16).toString('hex')}`;

const logger = createLogger({ level: 'warn', pretty: false, base: { scope: 'bench-gateway' } });
const config = testConfig({
  clickhouse: { database: DATABASE, requestTimeoutMs: 1_800_000 },
  stack: { stateDir: `.infra/bench-gateway-${OFFSET}` },
});
const common: Common = { config, logger, shutdown: createShutdown(logger) };

const tokenAddress = (i: number) => `0x${(i + 1).toString(16).padStart(40, '0')}`;
const addressOf = (i: number) => `0x${(0xa000000 + i).toString(16).padStart(40, '0')}`;
const dayOf = (offset: number) => addDays(FIRST_DAY, offset);
const randomInt = (n: number) => Math.floor(Math.random() * n);

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await fn();
  console.log(`${label}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

const EXPECTED_ROWS: Record<string, number> = {
  token_metrics_daily: TOKENS * DAYS,
  gateway_token_metrics_daily: TOKENS * DAYS,
  address_flows_daily: ADDRESSES * DAYS,
  gateway_address_flows_daily: ADDRESSES * DAYS,
  anomalies: ANOMALIES,
};

/** True when the bench database already holds exactly the rows this run asks for (then seeding is skipped). */
async function seeded(): Promise<boolean> {
  const writer = createWarehouseClient({ config, withoutDatabase: true });
  try {
    const rs = await writer.query({
      query: `SELECT table, sum(rows) AS n FROM system.parts WHERE active AND database = {db:String} GROUP BY table`,
      query_params: { db: DATABASE },
      format: 'JSONEachRow',
    });
    const counts = new Map((await rs.json<{ table: string; n: string }>()).map((r) => [r.table, Number(r.n)]));
    return Object.entries(EXPECTED_ROWS).every(([table, n]) => counts.get(table) === n);
  } finally {
    await writer.close();
  }
}

async function seed(): Promise<void> {
  const writer = createWarehouseClient({ config, withoutDatabase: true });
  try {
    await writer.command({ query: `DROP DATABASE IF EXISTS ${DATABASE}` });
    await migrate({ client: writer, database: DATABASE, logger });
    const exec = (query: string, params: Record<string, unknown>) => writer.command({ query, query_params: params });
    // Slices of ~2 M rows keep each insert (and its materialized-view block) bounded.
    const tokenSlice = Math.max(1, Math.floor(2_000_000 / DAYS));
    await timed(`token_metrics_daily (+ serving): ${TOKENS * DAYS} rows`, async () => {
      for (let start = 0; start < TOKENS; start += tokenSlice) {
        const tokens = Math.min(tokenSlice, TOKENS - start);
        await exec(
          `INSERT INTO ${DATABASE}.token_metrics_daily
             (date, chain_id, token_address, symbol, decimals, volume_raw, volume_usd, minted_raw, burned_raw, transfer_count,
              priced_transfer_count, tx_count, unique_addresses, price_open, price_high, price_low, price_close, price_source,
              price_staleness_ms, version, is_final, emitted_at)
           SELECT toDate({first:Date}) + (number % {days:UInt32}) AS date, 1,
             concat('0x', leftPad(lower(hex({start:UInt32} + intDiv(number, {days:UInt32}) + 1)), 40, '0')),
             concat('T', toString({start:UInt32} + intDiv(number, {days:UInt32}))), 18,
             toUInt256(number + 1) * toUInt256('1000000000000000000000'), toDecimal256((number % 100000) + 0.25, 18),
             toUInt256(number % 7), toUInt256(number % 5), 10 + number % 1000, 10 + number % 900, 9 + number % 800, 5 + number % 500,
             toDecimal128(1.5, 18), toDecimal128(1.75, 18), toDecimal128(1.25, 18), toDecimal128(1.5, 18), 'coingecko:simple_price',
             60000, 1, true, toDateTime64(date, 3, 'UTC') + INTERVAL 1 DAY
           FROM numbers({rows:UInt64})`,
          { first: FIRST_DAY, days: DAYS, start, rows: tokens * DAYS },
        );
      }
    });
    const daySlice = Math.max(1, Math.floor(2_000_000 / ADDRESSES));
    await timed(`address_flows_daily (+ serving): ${ADDRESSES * DAYS} rows`, async () => {
      for (let start = 0; start < DAYS; start += daySlice) {
        const days = Math.min(daySlice, DAYS - start);
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
    // Merge the inserted parts as a long-running warehouse has merged its closed days.
    await timed('OPTIMIZE TABLE … FINAL', async () => {
      for (const table of Object.keys(EXPECTED_ROWS)) {
        await writer.command({ query: `OPTIMIZE TABLE ${DATABASE}.${table} FINAL` });
      }
    });
  } finally {
    await writer.close();
  }
}

/** scripts/bench/gateway-proxy.ts in its own process, forwarding to the warehouse endpoint; resolves with its URL. */
async function startProxyProcess(): Promise<{ url: string; child: ChildProcess }> {
  return spawnListeningScript(join(REPO_ROOT, 'scripts/bench/gateway-proxy.ts'), [config.clickhouse.url]);
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
      ORACUL_STACK_STATE_DIR: config.stack.stateDir,
      ORACUL_LOG_LEVEL: 'warn',
      ORACUL_ENV: 'test',
      NODE_ENV: 'production',
      // --gateway-node-options '<flags>': V8/Node flags for the gateway process only (e.g. GC sizing), A/B runs.
      ...(GATEWAY_NODE_OPTIONS ? { NODE_OPTIONS: GATEWAY_NODE_OPTIONS } : {}),
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

interface Request {
  /** GraphQL body for the gateway. */
  gql: { query: string; variables: Record<string, unknown> };
  /** The statement the gateway sends for it alone, with its parameters (for the direct run). */
  sql: { name: SqlName; params: Record<string, unknown> } | undefined;
  /** The parameters of the FINAL reference statement (directOnly scenarios). */
  reference?: Record<string, unknown>;
}

interface Scenario {
  name: string;
  next: () => Request;
  /** Direct only, at the low rate only: a statement the gateway no longer sends (the FINAL baseline). */
  directOnly?: { sql: string; format: string };
}

const METRICS_FIELDS = 'date volumeRaw volumeUsd transferCount uniqueAddresses priceClose isFinal version';
const METRICS_QUERY = `query M($t: Address!, $f: Date!, $to: Date!) { tokenMetricsDaily(token: $t, from: $f, to: $to) { ${METRICS_FIELDS} } }`;
const FLOWS_QUERY =
  'query F($a: Address!, $f: Date!, $to: Date!) { addressFlowsDaily(address: $a, from: $f, to: $to) { date tokenAddress inflowRaw outflowRaw netFlowRaw netFlowUsd transferCount } }';
const hotWindows = Array.from({ length: 20 }, () => ({ token: tokenAddress(randomInt(TOKENS)), start: randomInt(DAYS - 90) }));

function metricsRequest(token: string, start: number): Request {
  const [from, to] = [dayOf(start), dayOf(start + 89)];
  return {
    gql: { query: METRICS_QUERY, variables: { t: token, f: from, to } },
    // A read alone: the coalesced statement with one token (gateway/sql.ts).
    sql: { name: 'tokenMetricsDaily', params: { chain_id: 1, tokens: [token], from, to } },
    reference: { chain_id: 1, token, from, to },
  };
}

function flowsRequest(address: string, start: number): Request {
  const [from, to] = [dayOf(start), dayOf(start + 89)];
  return {
    gql: { query: FLOWS_QUERY, variables: { a: address, f: from, to } },
    sql: {
      name: 'addressFlowsDaily',
      params: { chain_id: 1, addresses: [address], from, to, token: '', limit: MAX_FLOW_ROWS },
    },
    reference: { chain_id: 1, address, from, to, token: '', limit: MAX_FLOW_ROWS },
  };
}

const randomMetrics = () => metricsRequest(tokenAddress(randomInt(TOKENS)), randomInt(DAYS - 90));
const randomFlows = () => flowsRequest(addressOf(randomInt(ADDRESSES)), randomInt(DAYS - 90));

const scenarios: Scenario[] = [
  { name: 'tokenMetricsDaily 90 d, random (uncached)', next: randomMetrics },
  { name: 'addressFlowsDaily 90 d, random (uncached)', next: randomFlows },
  {
    name: 'anomalies first 50 (newest)',
    next: () => ({
      gql: {
        query:
          '{ anomalies(first: 50) { edges { cursor node { anomalyId entityType entityId metric day value score severity status detectedAt } } pageInfo { hasNextPage endCursor } } }',
        variables: {},
      },
      sql: {
        name: 'anomaliesPage',
        params: {
          chain_id: 1,
          entity_type: '',
          entity_id: '',
          from: '1970-01-01',
          to: '2149-06-06',
          severities: ['low', 'medium', 'high'],
          statuses: ['open', 'final'],
          has_cursor: 0,
          cursor_day: '1970-01-01',
          cursor_detected_at: '1970-01-01 00:00:00.000',
          cursor_id: '',
          limit: 51,
        },
      },
    }),
  },
  {
    name: 'tokenMetricsDaily 90 d, 20 hot windows (cached)',
    next: () => {
      const w = hotWindows[randomInt(hotWindows.length)]!;
      return metricsRequest(w.token, w.start);
    },
  },
  {
    name: 'before: token FINAL on the mart (direct only)',
    next: randomMetrics,
    directOnly: { sql: FINAL_REFERENCE_SQL.tokenMetricsDaily, format: 'JSONEachRow' },
  },
  {
    name: 'before: address FINAL on the mart (direct only)',
    next: randomFlows,
    directOnly: { sql: FINAL_REFERENCE_SQL.addressFlowsDaily, format: 'JSONEachRow' },
  },
];

/** CPU seconds (user + system) of a process, from /proc (Linux). */
function processCpuS(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

interface Probes {
  gatewayPid: number | undefined;
  warehousePid: number | undefined;
  /** The bare forwarding proxy (scripts/bench/gateway-proxy.ts): the paired baseline of the gateway's overhead. */
  proxy: { url: string; pid: number | undefined };
}

interface Measured {
  p50: number;
  p99: number;
  max: number;
  rps: number;
  errors: number;
  line: string;
}

interface LoadTarget {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: () => { path?: string; body: string };
}

/** One run at `rate` for `duration` s, with wall, CPU of every process of the path and the load average. */
async function load(target: LoadTarget, probes: Probes, rate: number, duration: number): Promise<Measured> {
  const request = (): PacedRequest => {
    const { path, body } = target.body();
    return { body, ...(path ? { path } : {}) };
  };
  // Warm-up (connections, JIT, caches of statement plans), not measured.
  await autocannon({
    url: target.url,
    connections: 10,
    amount: 200,
    headers: target.headers,
    requests: [{ setupRequest: (r) => ({ ...r, method: 'POST' as const, ...request() }) }],
  });
  const cpu0 = process.cpuUsage();
  const gw0 = processCpuS(probes.gatewayPid);
  const wh0 = processCpuS(probes.warehousePid);
  const wall0 = performance.now();
  const result =
    GENERATOR === 'autocannon'
      ? await burstLoad(target, request, rate, duration)
      : await evenLoad(target, request, rate, duration);
  const wall = (performance.now() - wall0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const own = (cpu.user + cpu.system) / 1e6;
  const gw = processCpuS(probes.gatewayPid) - gw0;
  const wh = processCpuS(probes.warehousePid) - wh0;
  const n = Math.max(1, result.total);
  const perRequest = (s: number) => (Number.isFinite(s) ? `${((s * 1000) / n).toFixed(2)}` : '–');
  const line =
    `p50 ${String(result.p50).padStart(4)} ms  p99 ${String(result.p99).padStart(4)} ms  max ${String(result.max).padStart(5)} ms  ` +
    `${result.rps.toFixed(0).padStart(3)} req/s  ${result.errors} err${result.errorKinds ? ` (${result.errorKinds})` : ''}  wall ${wall.toFixed(1)} s  ` +
    `CPU/request ms: loadgen ${perRequest(own)}, gateway ${perRequest(gw)}, warehouse ${perRequest(wh)}  load ${loadavg()[0]!.toFixed(1)}`;
  return { p50: result.p50, p99: result.p99, max: result.max, rps: result.rps, errors: result.errors, line };
}

interface LoadFigures {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly rps: number;
  readonly errors: number;
  /** What failed, e.g. "ECONNRESET 1" (paced load only). */
  readonly errorKinds?: string;
  readonly total: number;
}

/** Requests evenly spread over each second, latency from when each was due (scripts/bench/paced-load.ts). */
async function evenLoad(target: LoadTarget, next: () => PacedRequest, rate: number, duration: number): Promise<LoadFigures> {
  const r = await pacedLoad({ url: target.url, headers: target.headers, rate, durationS: duration, connections: 32, next });
  const ms = (q: number) => Math.round(quantileOf(r.latenciesMs, q));
  const total = r.latenciesMs.length + r.errors;
  const errorKinds = [...r.errorKinds].map(([kind, n]) => `${kind} ${n}`).join(', ');
  return { p50: ms(0.5), p99: ms(0.99), max: ms(1), rps: total / duration, errors: r.errors, errorKinds, total };
}

/** autocannon's overallRate: each connection's per-second quota sent at once from every second's start. */
async function burstLoad(target: LoadTarget, next: () => PacedRequest, rate: number, duration: number): Promise<LoadFigures> {
  const result = await autocannon({
    url: target.url,
    connections: 32,
    overallRate: rate,
    duration,
    headers: target.headers,
    requests: [{ setupRequest: (r) => ({ ...r, method: 'POST' as const, ...next() }) }],
  });
  const { p50, p99, max } = result.latency;
  const errors = result.errors + result.timeouts + result.non2xx;
  return { p50, p99, max, rps: result.requests.average, errors, total: result.requests.total };
}

/** The statement as the gateway's @clickhouse/client sends it: SQL + FORMAT in the body, parameters and settings in the URL. */
function directBody(sql: string, format: string, params: Record<string, unknown>): { path: string; body: string } {
  const search = new URLSearchParams({
    database: DATABASE,
    output_format_json_quote_64bit_integers: '1',
    date_time_input_format: 'best_effort',
    wait_end_of_query: '1',
  });
  for (const [name, value] of Object.entries(params)) {
    search.set(`param_${name}`, Array.isArray(value) ? `[${value.map((v) => `'${String(v)}'`).join(',')}]` : String(value));
  }
  return { path: `/?${search.toString()}`, body: `${sql}\nFORMAT ${format}` };
}

/** `p50 <a/b>, p99 <a/b>` (a base under 1 ms counts as 1 ms). */
function ratiosTo(a: Measured, base: Measured): string {
  return `p50 ${(a.p50 / Math.max(1, base.p50)).toFixed(2)}, p99 ${(a.p99 / Math.max(1, base.p99)).toFixed(2)}`;
}

async function runScenario(origin: string, probes: Probes, scenario: Scenario, rate: number, duration: number): Promise<void> {
  const directTarget = {
    url: config.clickhouse.url,
    headers: {
      'content-type': 'text/plain',
      'x-clickhouse-user': config.clickhouse.readonlyUsername,
      'x-clickhouse-key': config.clickhouse.readonlyPassword,
    },
    body: () => {
      const { sql, reference } = scenario.next();
      if (!sql) throw new Error(`${scenario.name}: no statement`);
      if (scenario.directOnly) return directBody(scenario.directOnly.sql, scenario.directOnly.format, reference ?? sql.params);
      return directBody(SQL[sql.name], KEYED_JSON_ROW_STATEMENTS.has(sql.name) ? 'TabSeparatedRaw' : 'JSONEachRow', sql.params);
    },
  };
  const direct = await load(directTarget, probes, rate, duration);
  console.log(`${scenario.name.padEnd(50)} direct   ${direct.line}`);
  if (scenario.directOnly) return;
  // The same requests through a bare forwarding process (its CPU is in the gateway column of this line).
  const proxy = await load(
    { ...directTarget, url: probes.proxy.url },
    { ...probes, gatewayPid: probes.proxy.pid },
    rate,
    duration,
  );
  console.log(`${scenario.name.padEnd(50)} proxy    ${proxy.line}`);
  const gatewayTarget = {
    url: `${origin}/graphql`,
    headers: { 'content-type': 'application/json', 'x-api-key': KEY },
    body: () => ({ body: JSON.stringify(scenario.next().gql) }),
  };
  const gateway = await load(gatewayTarget, probes, rate, duration);
  console.log(`${scenario.name.padEnd(50)} gateway  ${gateway.line}`);
  console.log(`${''.padEnd(50)} ratio gateway/direct ${ratiosTo(gateway, direct)}; proxy/direct ${ratiosTo(proxy, direct)}`);
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
  // Fresh topics and registry; the warehouse (and its seeded database) is kept.
  await rm(paths.componentStateDir('kafka'), { recursive: true, force: true });
  await rm(paths.componentStateDir('registry'), { recursive: true, force: true });
  await timed('stack up', () => stackUp(common));
  let child: ChildProcess | undefined;
  let proxy: { url: string; child: ChildProcess } | undefined;
  try {
    if (await seeded()) {
      console.log(
        `database ${DATABASE}: already seeded (${Object.entries(EXPECTED_ROWS)
          .map(([t, n]) => `${t} ${n}`)
          .join(', ')})`,
      );
      const writer = createWarehouseClient({ config, withoutDatabase: true });
      await migrate({ client: writer, database: DATABASE, logger }).finally(() => writer.close());
    } else {
      await timed('seed', seed);
    }
    await ensureDeclaredTopics({ config, logger });
    await createSchemaRegistrySerdes({ config }).registerAll();
    child = startGatewayProcess();
    const origin = `http://127.0.0.1:${GATEWAY_PORT}`;
    await timed('gateway ready', () => waitReady(origin));
    proxy = await startProxyProcess();
    const probes: Probes = {
      gatewayPid: child.pid,
      warehousePid: (await readPidRecord(paths.pidFile('warehouse')))?.pid,
      proxy: { url: proxy.url, pid: proxy.child.pid },
    };
    const selected = scenarios.filter((s) => !ONLY || ONLY.some((o) => s.name.includes(o)));
    console.log(
      `\nload: ${RATE} req/s for ${DURATION} s per scenario and target (${GENERATOR === 'autocannon' ? 'autocannon overallRate: per-second bursts' : "evenly spaced arrivals, latency from each request's due time"}, 32 connections, this process; gateway: child process)\n`,
    );
    for (const scenario of selected.filter((s) => !s.directOnly)) await runScenario(origin, probes, scenario, RATE, DURATION);
    if (LOW_RATE > 0) {
      console.log(`\nsame scenarios at ${LOW_RATE} req/s for 10 s (no queueing: the cost of one request)\n`);
      for (const scenario of selected) await runScenario(origin, probes, scenario, LOW_RATE, 10);
    }
    if (!ONLY || ONLY.includes('subscription')) await subscriptionLatency(`ws://127.0.0.1:${GATEWAY_PORT}/graphql`);
  } finally {
    child?.kill('SIGTERM');
    proxy?.child.kill('SIGTERM');
    await stackDown(common);
  }
}

await main();
process.exit(0);
