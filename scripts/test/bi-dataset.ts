import { createHash } from 'node:crypto';
import { DAY_MS, dayStartMs, HOUR_MS as HOUR, isoDay, isoDayStartMs } from '../../core/time.ts';
import { encodeCheckpoint } from '../../schemas/checkpoint.ts';
import { createTestDriver } from '../../processors/engine/testDriver.ts';
import type { Erc20Transfer } from '../../processors/erc20/transfer.ts';
import { ZERO_ADDRESS } from '../../processors/erc20/transfer-event.ts';
import { createAddressFlowsDailyProcessor, type AddressFlowsDaily } from '../../processors/aggregates/address-flows-daily.ts';
import { splitOutputs } from '../../processors/aggregates/daily-aggregator.ts';
import type { PriceTick } from '../../processors/aggregates/prices.ts';
import { addressLegsOf, type AddressLeg } from '../../processors/aggregates/repartition.ts';
import { createTokenMetricsDailyProcessor, type TokenMetricsDaily } from '../../processors/aggregates/token-metrics-daily.ts';
import type { WindowingConfig } from '../../processors/aggregates/windowing.ts';
import { closeDay, createDailyScorerState } from '../../processors/anomalies/lib/daily-scorer.ts';
import { severityOf, type Severity } from '../../processors/anomalies/lib/severity.ts';
import { invalidField, type HexRule } from '../../processors/sinks/raw-validate.ts';
import type { DeadLetter } from '../../schemas/index.ts';
import { xorshift32 } from '../../core/xorshift.ts';

/**
 * A realistic multi-day warehouse for the BI tests and for trying the dashboards locally: generated ERC-20
 * transfers of six mainnet tokens (addresses and decimals of dwh/seeds) between a population of addresses, with
 * weekly seasonality, price random walks, a few reorg retractions and injected spikes (one of them yesterday).
 * The daily marts are NOT computed here: the transfers and price ticks go through the real aggregators
 * (createTokenMetricsDailyProcessor / createAddressFlowsDailyProcessor on the processor test driver), and every output
 * version they emit (open updates, finals, re-emissions) is what lands in the tables, as the sinks would write
 * it. Anomalies come from the daily scorer of processors/anomalies over the latest version of each day.
 */

export interface DemoToken {
  readonly address: string;
  readonly symbol: string;
  readonly decimals: number;
  /** Starting USD price. */
  readonly price: number;
  /** Typical transfers per day. */
  readonly perDay: number;
  /** Typical transfer size in token units. */
  readonly typicalUnits: number;
}

export const DEMO_TOKENS: readonly DemoToken[] = [
  {
    address: '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2',
    symbol: 'WETH',
    decimals: 18,
    price: 3100,
    perDay: 70,
    typicalUnits: 4,
  },
  {
    address: '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48',
    symbol: 'USDC',
    decimals: 6,
    price: 1,
    perDay: 90,
    typicalUnits: 9000,
  },
  {
    address: '0xdac17f958d2ee523a2206206994597c13d831ec7',
    symbol: 'USDT',
    decimals: 6,
    price: 1,
    perDay: 80,
    typicalUnits: 7000,
  },
  {
    address: '0x6b175474e89094c44da98b954eedeac495271d0f',
    symbol: 'DAI',
    decimals: 18,
    price: 1,
    perDay: 40,
    typicalUnits: 5000,
  },
  {
    address: '0x2260fac5e5542a773aa44fbcfedf7c193bc2c599',
    symbol: 'WBTC',
    decimals: 8,
    price: 64000,
    perDay: 25,
    typicalUnits: 0.3,
  },
  {
    address: '0x514910771af9ca656af840dff83e8264ecf986ca',
    symbol: 'LINK',
    decimals: 18,
    price: 15,
    perDay: 35,
    typicalUnits: 900,
  },
];

/** A row of the `anomalies` table (JSONEachRow: timestamps in ms, day as YYYY-MM-DD). */
export interface DemoAnomalyRow {
  anomaly_id: string;
  chain_id: number;
  entity_type: 'token' | 'address';
  entity_id: string;
  token_address: string | null;
  metric: string;
  day: string;
  value: number;
  baseline_center: number;
  baseline_spread: number;
  baseline_days: number;
  score: number;
  lower_bound: number | null;
  upper_bound: number | null;
  method: string;
  severity: Severity;
  status: 'open' | 'final' | 'withdrawn';
  detected_at: number;
  updated_at: number;
  version: number;
  source_version: number;
}

/** A row of `data_quality_checks`. */
export interface DemoCheckRow {
  check_name: string;
  chain_id: number;
  subject: string;
  status: 'pass' | 'fail' | 'error';
  observed: number | null;
  threshold: number | null;
  check_window: string;
  checked_at: number;
  details: string;
}

export interface DemoDataset {
  readonly firstDay: string;
  readonly lastDay: string;
  /** Every transfer record in arrival order; retractions are the same transfer with `kind: 'retraction'`. */
  readonly transfers: readonly Erc20Transfer[];
  readonly prices: readonly PriceTick[];
  /** Every version the aggregators emitted (updates and finals). */
  readonly tokenMetrics: readonly TokenMetricsDaily[];
  readonly addressFlows: readonly AddressFlowsDaily[];
  /** Every anomaly version, superseded and withdrawn ones included. */
  readonly anomalies: readonly DemoAnomalyRow[];
  readonly checks: readonly DemoCheckRow[];
  /**
   * Dead letters as the dead-letters sink reads them from the `.dlq` topics, replays and retries included (every
   * record as delivered, so the table holds what FINAL must collapse). Their payloads contain
   * DEMO_DEAD_LETTER_PAYLOAD, which no BI view may show.
   */
  readonly deadLetters: readonly DeadLetter[];
  /** The address with the injected inflow spike yesterday (a good default for the Address detail dashboard). */
  readonly whale: string;
}

export interface GenerateDemoDatasetParameters {
  /** "Now": the dataset runs up to this instant (default Date.now()). */
  readonly nowMs?: number;
  /** Full days before today (default 35). */
  readonly days?: number;
  readonly seed?: number;
}

const CHAIN_ID = 1;
const METHOD = 'robust_zscore';

const hex = (rand: () => number, bytes: number): string =>
  Array.from({ length: bytes }, () =>
    Math.floor(rand() * 256)
      .toString(16)
      .padStart(2, '0'),
  ).join('');

/** Exact base units of a token amount given as a float of token units (6 significant decimals kept). */
function toRaw(units: number, decimals: number): bigint {
  const micro = BigInt(Math.max(1, Math.round(units * 1e6)));
  return decimals >= 6 ? micro * 10n ** BigInt(decimals - 6) : micro / 10n ** BigInt(6 - decimals);
}

function formatPrice(value: number): string {
  return value.toFixed(8);
}

/** Deterministic id, as documented in schemas/anomalies.avsc. */
export function anomalyId(
  a: Pick<DemoAnomalyRow, 'chain_id' | 'entity_type' | 'entity_id' | 'token_address' | 'metric' | 'day' | 'method'>,
): string {
  return createHash('sha256')
    .update([a.chain_id, a.entity_type, a.entity_id, a.token_address ?? '', a.metric, a.day, a.method].join('|'))
    .digest('hex');
}

export function generateDemoDataset(params: GenerateDemoDatasetParameters = {}): DemoDataset {
  const nowMs = params.nowMs ?? Date.now();
  const days = params.days ?? 35;
  const rand = xorshift32(params.seed ?? 20_240_101);
  const todayStart = dayStartMs(nowMs);
  const start = todayStart - days * DAY_MS;
  const yesterday = isoDay(todayStart - DAY_MS);

  const people = Array.from({ length: 60 }, () => '0x' + hex(rand, 20));
  const whale = people[0] as string;
  const pick = (): string => {
    // A few busy addresses, a long tail (so counterparties and flows look like a real population).
    const r = rand();
    return people[Math.floor(r * r * people.length)] as string;
  };
  const spikeDays = new Map<string, number>([
    [`WETH@${yesterday}`, 6],
    [`LINK@${isoDay(todayStart - 11 * DAY_MS)}`, 5],
    [`USDT@${isoDay(todayStart - 4 * DAY_MS)}`, 4],
    [`DAI@${isoDay(todayStart - 2 * DAY_MS)}`, 0.15],
  ]);

  // Prices: a tick every 30 minutes per token, a geometric random walk (stablecoins barely move).
  const prices: PriceTick[] = [];
  const priceKeyed: { at: number; value: PriceTick }[] = [];
  for (const token of DEMO_TOKENS) {
    let p = token.price;
    const vol = token.price === 1 ? 0.0004 : 0.006;
    for (let t = start - HOUR; t <= nowMs; t += 30 * 60_000) {
      p *= Math.exp((rand() - 0.5) * 2 * vol);
      if (token.price === 1) p = 1 + (p - 1) * 0.5;
      const tick: PriceTick = {
        chain_id: CHAIN_ID,
        token_address: token.address,
        timestamp: Math.floor(t / 1000),
        price_usd: formatPrice(p),
        source: 'coingecko:simple_price',
      };
      prices.push(tick);
      priceKeyed.push({ at: t + 20_000, value: tick });
    }
  }

  // Transfers.
  const keyed: { at: number; value: Erc20Transfer }[] = [];
  let logSeq = 0;
  for (let d = start; d < nowMs; d += DAY_MS) {
    const day = isoDay(d);
    const weekday = new Date(d).getUTCDay();
    const weekly = weekday === 0 || weekday === 6 ? 0.7 : 1.1;
    for (const token of DEMO_TOKENS) {
      const factor = spikeDays.get(`${token.symbol}@${day}`) ?? 1;
      const n = Math.round(token.perDay * weekly * (0.85 + rand() * 0.3) * factor);
      for (let i = 0; i < n; i++) {
        const at = d + Math.floor(rand() * DAY_MS);
        if (at > nowMs - 60_000) continue;
        const timestamp = Math.floor(at / 1000);
        const kind = rand();
        const from = kind < 0.03 ? ZERO_ADDRESS : pick();
        let to = kind > 0.97 ? ZERO_ADDRESS : pick();
        if (to === from) to = people[(people.indexOf(from) + 1) % people.length] as string;
        const units = token.typicalUnits * Math.exp((rand() - 0.5) * 2.5) * (factor > 1 ? 1.5 : 1);
        keyed.push({ at, value: makeTransfer(token, timestamp, from, to, toRaw(units, token.decimals), logSeq++, rand) });
      }
    }
    // The whale: a steady daily USDC inflow, and a very large one yesterday.
    const usdc = DEMO_TOKENS[1] as DemoToken;
    const whaleUnits = day === yesterday ? 4_000_000 : 20_000 * (0.8 + rand() * 0.4);
    const whaleAt = d + 12 * HOUR + Math.floor(rand() * HOUR);
    if (whaleAt < nowMs - 60_000) {
      keyed.push({
        at: whaleAt,
        value: makeTransfer(usdc, Math.floor(whaleAt / 1000), pick(), whale, toRaw(whaleUnits, usdc.decimals), logSeq++, rand),
      });
    }
  }
  // Reorgs: ~2% of the transfers are retracted a few minutes later (the block was orphaned).
  const retractions: { at: number; value: Erc20Transfer }[] = [];
  for (const k of keyed) if (rand() < 0.02) retractions.push({ at: k.at + 120_000, value: { ...k.value, kind: 'retraction' } });

  const arrivals = [...keyed, ...retractions, ...priceKeyed].sort((a, b) => a.at - b.at);
  const transfers = [...keyed, ...retractions].sort((a, b) => a.at - b.at).map((k) => k.value);

  // The real aggregators.
  const windowing: Partial<WindowingConfig> = {
    graceMs: HOUR,
    idleTimeoutMs: 5 * 60_000,
    retentionMs: 3 * DAY_MS,
    updates: 'on_punctuate',
    priceStalenessMs: 2 * HOUR,
  };
  const tokenDriver = createTestDriver(createTokenMetricsDailyProcessor({ windowing }), {
    verifySerde: false,
    wallClockMs: start,
  });
  const flowDriver = createTestDriver(createAddressFlowsDailyProcessor({ windowing }), {
    verifySerde: false,
    wallClockMs: start,
  });
  let n = 0;
  for (const { at, value } of arrivals) {
    for (const driver of [tokenDriver, flowDriver]) if (at > driver.wallClockMs) driver.advanceWallClock(at - driver.wallClockMs);
    if ('price_usd' in value) {
      tokenDriver.pipe(value);
      flowDriver.pipe(value);
    } else {
      tokenDriver.pipe(value);
      for (const leg of addressLegsOf(value)) flowDriver.pipe(leg);
    }
    if (++n % 500 === 0) {
      tokenDriver.punctuate({ caughtUp: false });
      flowDriver.punctuate({ caughtUp: false });
    }
  }
  for (const driver of [tokenDriver, flowDriver]) {
    if (nowMs > driver.wallClockMs) driver.advanceWallClock(nowMs - driver.wallClockMs);
    driver.punctuate({ caughtUp: true });
  }
  const tokenMetrics = splitOutputs<TokenMetricsDaily, Erc20Transfer>(tokenDriver.outputs()).windows;
  const addressFlows = splitOutputs<AddressFlowsDaily, AddressLeg>(flowDriver.outputs()).windows;

  const anomalies = detectAnomalies(tokenMetrics, addressFlows, todayStart);
  const checks = dataQualityChecks(nowMs, rand);
  const deadLetters = demoDeadLetters(todayStart, nowMs);
  return {
    firstDay: isoDay(start),
    lastDay: isoDay(todayStart),
    transfers,
    prices,
    tokenMetrics,
    addressFlows,
    anomalies,
    checks,
    deadLetters,
    whale,
  };
}

function makeTransfer(
  token: DemoToken,
  timestamp: number,
  from: string,
  to: string,
  amount: bigint,
  logSeq: number,
  rand: () => number,
): Erc20Transfer {
  const blockNumber = 18_000_000 + Math.floor((timestamp - 1_690_000_000) / 12);
  const logIndex = logSeq % 4000;
  return {
    chain_id: CHAIN_ID,
    block_number: blockNumber,
    block_hash: '0x' + createHash('sha256').update(`block:${blockNumber}`).digest('hex'),
    tx_hash: '0x' + hex(rand, 32),
    tx_index: Math.floor(rand() * 200),
    log_index: logIndex,
    token_address: token.address,
    from_address: from,
    to_address: to,
    amount_raw: amount,
    amount_decimal: null,
    decimals: token.decimals,
    symbol: token.symbol,
    block_timestamp: timestamp * 1000,
    is_mint: from === ZERO_ADDRESS,
    is_burn: to === ZERO_ADDRESS,
    form: 'standard',
    kind: 'transfer',
    checkpoint: encodeCheckpoint({
      timestampMs: timestamp * 1000,
      chainId: CHAIN_ID,
      blockNumber,
      txIndex: 0,
      logIndex,
    }),
  };
}

/** Latest version per key, as ReplacingMergeTree FINAL would keep it. */
function latest<T extends { version: number }>(rows: readonly T[], keyOf: (r: T) => string): Map<string, T> {
  const out = new Map<string, T>();
  for (const r of rows) {
    const k = keyOf(r);
    const previous = out.get(k);
    if (previous === undefined || r.version > previous.version) out.set(k, r);
  }
  return out;
}

interface Series {
  readonly entityType: 'token' | 'address';
  readonly entityId: string;
  readonly token: string;
  readonly metric: string;
  readonly points: { day: string; value: number; version: number; final: boolean }[];
}

/** Scores each day of each series against its previous days with the daily scorer (robust z, day of week). */
function detectAnomalies(
  tokenRows: readonly TokenMetricsDaily[],
  flowRows: readonly AddressFlowsDaily[],
  todayStart: number,
): DemoAnomalyRow[] {
  const today = isoDay(todayStart);
  const series = new Map<string, Series>();
  const add = (s: Omit<Series, 'points'>, day: string, value: number | null, version: number, final: boolean): void => {
    if (value === null || day >= today) return;
    const key = `${s.entityType}|${s.entityId}|${s.token}|${s.metric}`;
    let entry = series.get(key);
    if (entry === undefined) series.set(key, (entry = { ...s, points: [] }));
    entry.points.push({ day, value, version, final });
  };
  for (const r of latest(tokenRows, (r) => `${r.token_address}@${r.date}`).values()) {
    if (r.transfer_count === 0) continue;
    const base = { entityType: 'token' as const, entityId: r.token_address, token: r.token_address };
    add({ ...base, metric: 'volume_usd' }, r.date, r.volume_usd === null ? null : Number(r.volume_usd), r.version, r.is_final);
    add({ ...base, metric: 'transfer_count' }, r.date, r.transfer_count, r.version, r.is_final);
    add({ ...base, metric: 'unique_addresses' }, r.date, r.unique_addresses, r.version, r.is_final);
  }
  for (const r of latest(flowRows, (r) => `${r.address}|${r.token_address}@${r.date}`).values()) {
    if (r.transfer_count === 0) continue;
    const base = { entityType: 'address' as const, entityId: r.address, token: r.token_address };
    add({ ...base, metric: 'inflow_usd' }, r.date, r.inflow_usd === null ? null : Number(r.inflow_usd), r.version, r.is_final);
    add({ ...base, metric: 'outflow_usd' }, r.date, r.outflow_usd === null ? null : Number(r.outflow_usd), r.version, r.is_final);
  }

  const rows: DemoAnomalyRow[] = [];
  for (const s of series.values()) {
    s.points.sort((a, b) => (a.day < b.day ? -1 : 1));
    if (s.points.length < 15) continue; // minHistoryDays (14) plus the day scored
    const state = createDailyScorerState();
    for (const p of s.points) {
      const score = closeDay(state, p.day, p.value, null);
      if (score.baseline === null || score.direction === null) continue;
      // An address that simply had a quiet day is not news: address series alert on spikes only.
      if (s.entityType === 'address' && score.direction !== 'spike') continue;
      const severity = severityOf(Math.abs(score.z));
      if (severity === null) continue;
      const dayEnd = isoDayStartMs(p.day) + DAY_MS;
      const row: DemoAnomalyRow = {
        anomaly_id: '',
        chain_id: CHAIN_ID,
        entity_type: s.entityType,
        entity_id: s.entityId,
        token_address: s.token,
        metric: s.metric,
        day: p.day,
        value: p.value,
        baseline_center: Math.expm1(score.baseline.center),
        baseline_spread: score.baseline.spread,
        baseline_days: score.baseline.historyDays,
        score: Math.abs(score.z),
        lower_bound: score.baseline.lower,
        upper_bound: score.baseline.upper,
        method: METHOD,
        severity,
        status: p.final ? 'final' : 'open',
        detected_at: dayEnd - 6 * HOUR,
        updated_at: dayEnd + HOUR,
        version: 2,
        source_version: p.version,
      };
      row.anomaly_id = anomalyId(row);
      // The version seen while the day was running (a lower severity), superseded by the final one.
      rows.push({ ...row, severity: 'low', status: 'open', updated_at: row.detected_at, version: 1 });
      rows.push(row);
    }
  }
  // One anomaly that a later update withdrew (its latest version is `withdrawn`: readers hide it).
  const token = DEMO_TOKENS[3] as DemoToken;
  const day = isoDay(todayStart - 3 * DAY_MS);
  const withdrawn: DemoAnomalyRow = {
    anomaly_id: '',
    chain_id: CHAIN_ID,
    entity_type: 'token',
    entity_id: token.address,
    token_address: token.address,
    metric: 'transfer_count',
    day,
    value: 1,
    baseline_center: token.perDay,
    baseline_spread: 0.1,
    baseline_days: 30,
    score: 9,
    lower_bound: 10,
    upper_bound: 100,
    method: METHOD,
    severity: 'medium',
    status: 'open',
    detected_at: Date.parse(`${day}T02:00:00Z`),
    updated_at: Date.parse(`${day}T02:00:00Z`),
    version: 1,
    source_version: 1,
  };
  withdrawn.anomaly_id = anomalyId(withdrawn);
  rows.push(withdrawn, { ...withdrawn, status: 'withdrawn', updated_at: withdrawn.updated_at + 6 * HOUR, version: 3 });
  return rows;
}

/** Hourly check runs over the last two days; mostly passing, with a price-staleness failure on one token. */
function dataQualityChecks(nowMs: number, rand: () => number): DemoCheckRow[] {
  const rows: DemoCheckRow[] = [];
  const lastHour = nowMs - (nowMs % HOUR);
  for (let t = lastHour - 48 * HOUR; t <= lastHour; t += HOUR) {
    const window = `${new Date(t - HOUR).toISOString().slice(0, 19)}Z/${new Date(t).toISOString().slice(0, 19)}Z`;
    const run = (
      check: string,
      subject: string,
      status: DemoCheckRow['status'],
      observed: number | null,
      threshold: number | null,
    ): void => {
      rows.push({
        check_name: check,
        chain_id: CHAIN_ID,
        subject,
        status,
        observed,
        threshold,
        check_window: window,
        checked_at: t,
        details: '{}',
      });
    };
    const lag = Math.round(rand() * 3);
    run('freshness', '', lag > 10 ? 'fail' : 'pass', lag, 10);
    run('block_gaps', '', 'pass', 0, null);
    run('duplicate_tx_hash', '', 'pass', 0, null);
    run('log_index_contiguity', '', 'pass', 0, null);
    run('transfer_log_coverage', '', t === lastHour - 30 * HOUR ? 'fail' : 'pass', t === lastHour - 30 * HOUR ? 3 : 0, null);
    for (const token of DEMO_TOKENS) {
      const stale = token.symbol === 'LINK' && t >= lastHour - 2 * HOUR;
      const age = stale ? 150 + Math.round(rand() * 30) : Math.round(rand() * 30);
      run('price_staleness', token.address, age > 120 ? 'fail' : 'pass', age, 120);
    }
  }
  return rows;
}

/** A marker in every demo dead letter's original bytes: the BI test checks no chart ever shows it. */
export const DEMO_DEAD_LETTER_PAYLOAD = 'raw payload for operators only';

/**
 * A few dead letters of the last ten days: raw logs the raw sink refused by format (one of them replayed by the
 * dead-letters sink), a record the erc20-decoder could not decode that failed again after a retry today, rows
 * ClickHouse rejected, and one from before the Overview's 7-day window.
 */
function demoDeadLetters(todayStart: number, nowMs: number): DeadLetter[] {
  const at = (daysAgo: number, hour: number): number => Math.min(todayStart - daysAgo * DAY_MS + hour * HOUR, nowMs - 60_000);
  const payload = (offset: number): Buffer => Buffer.from(`${DEMO_DEAD_LETTER_PAYLOAD} #${offset}`);
  const letter = (
    over: Pick<DeadLetter, 'source_topic' | 'source_offset' | 'stage' | 'error_code' | 'error_message' | 'failed_at'> &
      Partial<DeadLetter>,
  ): DeadLetter => ({
    source_partition: 0,
    source_timestamp: over.failed_at - 5_000,
    original_key: Buffer.from(`key-${over.source_offset}`),
    original_value: payload(over.source_offset),
    original_headers: [{ key: 'traceparent', value: payload(over.source_offset) }],
    error_details: null,
    retryable: false,
    attempts: 1,
    ...over,
  });
  // The raw sink's own error for a field of the wrong format (message and details as it dead-letters them).
  const invalidLog = (offset: number, failedAt: number, field: string, value: string, rule: HexRule): DeadLetter => {
    const error = invalidField(
      { table: 'raw_logs', chainId: CHAIN_ID, blockNumber: 19_000_000 + offset, items: 'logs' },
      field,
      value,
      rule,
    );
    return letter({
      source_topic: 'eth.logs.raw',
      source_offset: offset,
      stage: 'sink:raw_logs',
      error_code: error.code,
      error_message: error.message,
      error_details: JSON.stringify(error.details),
      failed_at: failedAt,
    });
  };
  const replayed = invalidLog(412, at(1, 9), 'logs[3].topics[1]', '0xZZ' + 'ab'.repeat(31), 'hash32');
  const undecodable = letter({
    source_topic: 'eth.logs.raw',
    source_offset: 977,
    stage: 'erc20-decoder',
    error_code: 'ORACUL_DESERIALIZE_FAILED',
    error_message: 'eth.logs.raw: value is not a valid record of the topic schema (unknown schema id 9999)',
    failed_at: at(2, 4),
  });
  return [
    replayed,
    invalidLog(413, at(1, 9.5), 'logs[0].address', '0x12', 'address20'),
    invalidLog(598, at(1, 15), 'logs[7].data', '0xabc', 'hex-data'),
    { ...replayed }, // the dead-letters sink re-consumed it after a crash: same key, same failed_at
    undecodable,
    { ...undecodable, attempts: 2, failed_at: at(0, 0.5) }, // replayed from the DLQ, failed again today
    letter({
      source_topic: 'dq.checks',
      source_offset: 31,
      stage: 'sink:data_quality_checks',
      error_code: 'ORACUL_SINK_ROWS_REJECTED',
      error_message: 'data_quality_checks: ClickHouse rejected the row: cannot parse check_window',
      failed_at: at(3, 22),
    }),
    invalidLog(12, at(10, 8), 'block_hash', '0x00', 'hash32'), // before the 7-day window
  ];
}
