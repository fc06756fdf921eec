import { performance } from 'node:perf_hooks';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import type { OraculConfig } from '../../config/schema.ts';
import type {
  AddressFlowsDaily as AddressFlowsRecord,
  Anomaly,
  TokenMetricsDaily as TokenMetricsRecord,
} from '../../schemas/generated/types.ts';
import { createAddressAnomalyProcessor, createTokenAnomalyProcessor } from '../anomalies/index.ts';
import type { AddressFlowsInput, TokenMetricsInput } from '../anomalies/index.ts';
import { anomalyRow } from '../anomalies/rows.ts';
import { PRICE_LOOKBACK_MS, type PriceTick } from '../aggregates/prices.ts';
import { addressLegsOf } from '../aggregates/repartition.ts';
import { DAY_MS, DEFAULT_WINDOWING, type WindowingConfig } from '../aggregates/windowing.ts';
import type { OutputRecord } from '../core/processor.ts';
import { createTestDriver, type TestDriver } from '../core/testDriver.ts';
import type { Erc20Transfer } from '../erc20/transfer.ts';
import { addressFlowsStage, tokenMetricsStage } from '../runtime/topology.ts';
import { addressFlowsRow, tokenMetricsRow } from '../sinks/derived-sinks.ts';
import { RecomputeDayOpenError, RecomputeRangeError } from './errors.ts';

/**
 * `oracul recompute`: rebuilds the daily marts and their anomalies for closed past days from `erc20_transfers`
 * (FINAL, canonical rows only, as every reader sees them) and `prices_spot`, without re-reading the chain.
 *
 * The SAME processors as the stream run here, in memory (processors/core/testDriver.ts): the token-metrics and
 * address-flows aggregators (their finals, rendered by the topology's own Avro mapping and the sinks' row
 * functions) and the token / address anomaly scorers (fed the stored finals of the `anomalies.historyDays` before
 * the range as their baseline, then the recomputed finals). Input is streamed day by day (JSONEachRow), so memory
 * holds one day's aggregation state, not the range.
 *
 * Writes are idempotent upserts by version: for each key of a day the recomputed row is compared with the row a
 * FINAL read shows; equal rows are not written, different ones are inserted with version = (highest stored version
 * of the key, deleted rows included) + 1, and stored rows the recomputation does not produce are deleted (marts: a
 * `transfer_count = 0` row, which `is_deleted` hides; anomalies: re-inserted as `withdrawn`). A second run over
 * the same data therefore writes nothing. A later stream correction of the same key computes the same next
 * version; the tie goes to the later insert, so the stream's correction still wins.
 *
 * Differences from the stream, by design: transfers the stream routed late (`erc20_transfers_late`) are counted
 * (the recomputation is the batch truth), and the scorers see finals only (no intraday updates), as a replay of
 * closed days would.
 */

export interface RecomputeParameters {
  readonly config: OraculConfig;
  readonly logger: Logger;
  /** A writer client on the warehouse. */
  readonly client: ClickHouseClient;
  /** First and last day (inclusive), `YYYY-MM-DD`. */
  readonly fromDate: string;
  readonly toDate: string;
  /** Default: the first configured chain's id. */
  readonly chainId?: number;
  /** Wall clock for the "day closed" check (tests). */
  readonly nowMs?: number;
  /** Rows per INSERT. Default 20 000. */
  readonly insertBatchRows?: number;
  readonly onProgress?: (progress: RecomputeProgress) => void;
}

export interface RecomputeProgress {
  readonly day: string;
  /** Days finished so far. */
  readonly daysDone: number;
  readonly days: number;
  /** Transfers read in the current day so far. */
  readonly transfers: number;
}

export interface TableResult {
  /** Rows the recomputation produced. */
  computed: number;
  /** Rows inserted because they differ from (or are missing in) the stored rows. */
  written: number;
  /** Stored rows the recomputation did not produce, deleted (marts) or withdrawn (anomalies). */
  removed: number;
}

export interface DayResult {
  readonly day: string;
  transfers: number;
  durationMs: number;
  readonly token_metrics_daily: TableResult;
  readonly address_flows_daily: TableResult;
  readonly anomalies: TableResult;
}

export interface RecomputeResult {
  readonly chainId: number;
  readonly days: DayResult[];
  readonly totals: { transfers: number; written: number; removed: number };
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

function parseDay(value: string, flag: string): number {
  const ms = Date.parse(`${value}T00:00:00Z`);
  if (!DAY_RE.test(value) || !Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
    throw new RecomputeRangeError(`${flag} must be an existing day as YYYY-MM-DD, got ${JSON.stringify(value)}`, {
      [flag]: value,
    });
  }
  return ms;
}

const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const chTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/** The days of an inclusive range, validated: well-formed, ordered, every day closed at `nowMs`. */
export function recomputeDays(
  fromDate: string,
  toDate: string,
  nowMs: number,
  graceMs: number = DEFAULT_WINDOWING.graceMs,
): string[] {
  const from = parseDay(fromDate, '--from-date');
  const to = parseDay(toDate, '--to-date');
  if (from > to) throw new RecomputeRangeError(`--from-date ${fromDate} is after --to-date ${toDate}`, { fromDate, toDate });
  const closesAt = to + DAY_MS + graceMs;
  if (closesAt > nowMs) throw new RecomputeDayOpenError(toDate, closesAt);
  const days: string[] = [];
  for (let ms = from; ms <= to; ms += DAY_MS) days.push(isoDay(ms));
  return days;
}

/** Streams a query's JSONEachRow rows to `onRow` (one chunk in memory at a time). */
async function streamRows<T>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown>,
  onRow: (row: T) => void,
): Promise<void> {
  const result = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  for await (const rows of result.stream<T>()) {
    for (const row of rows) onRow(row.json<T>());
  }
}

async function insertRows(client: ClickHouseClient, table: string, rows: readonly object[], batch: number): Promise<void> {
  for (let i = 0; i < rows.length; i += batch) {
    await client.insert({ table, values: rows.slice(i, i + batch) as Record<string, unknown>[], format: 'JSONEachRow' });
  }
}

// ---------- visible values: what a FINAL read shows, as comparable text ----------

/** Trims a decimal's trailing fractional zeros (`3000.100000` → `3000.1`); other text unchanged. */
function normalDecimal(value: string): string {
  if (!/^-?\d+\.\d+$/.test(value)) return value;
  return value.replace(/0+$/, '').replace(/\.$/, '');
}

const text = (value: unknown): string => (value === null || value === undefined ? 'null' : normalDecimal(String(value)));

interface MartSpec {
  readonly table: 'token_metrics_daily' | 'address_flows_daily';
  /** Key columns besides chain_id and date. */
  readonly keyColumns: readonly string[];
  /** Columns a reader sees (not version, emitted_at, inserted_at). */
  readonly visible: readonly string[];
}

const TOKEN_MART: MartSpec = {
  table: 'token_metrics_daily',
  keyColumns: ['token_address'],
  visible: [
    'symbol',
    'decimals',
    'volume_raw',
    'volume_usd',
    'minted_raw',
    'burned_raw',
    'transfer_count',
    'priced_transfer_count',
    'tx_count',
    'unique_addresses',
    'price_open',
    'price_high',
    'price_low',
    'price_close',
    'price_source',
    'price_staleness_ms',
    'is_final',
  ],
};

const ADDRESS_MART: MartSpec = {
  table: 'address_flows_daily',
  keyColumns: ['address', 'token_address'],
  visible: [
    'symbol',
    'inflow_raw',
    'outflow_raw',
    'net_flow_raw',
    'inflow_usd',
    'outflow_usd',
    'net_flow_usd',
    'transfer_count',
    'tx_count',
    'counterparties_count',
    'is_final',
  ],
};

const ANOMALY_VISIBLE = [
  'entity_type',
  'entity_id',
  'token_address',
  'metric',
  'value',
  'baseline_center',
  'baseline_spread',
  'baseline_days',
  'score',
  'lower_bound',
  'upper_bound',
  'method',
  'severity',
  'status',
] as const;

const keyOf = (row: Record<string, unknown>, columns: readonly string[]): string => columns.map((c) => String(row[c])).join('|');
const fingerprint = (row: Record<string, unknown>, columns: readonly string[]): string =>
  columns.map((c) => text(row[c])).join('\u0001');

interface StoredMart {
  /** key → fingerprint of the visible row. */
  readonly visible: Map<string, string>;
  /** key → highest version stored (deleted rows included). */
  readonly maxVersion: Map<string, number>;
}

async function storedMart(client: ClickHouseClient, spec: MartSpec, chainId: number, day: string): Promise<StoredMart> {
  const visible = new Map<string, string>();
  const maxVersion = new Map<string, number>();
  const keys = spec.keyColumns.join(', ');
  await streamRows<Record<string, unknown>>(
    client,
    `SELECT ${keys}, ${spec.visible.map((c) => `toString(${c}) AS ${c}`).join(', ')}
     FROM ${spec.table} FINAL WHERE chain_id = {chain:UInt64} AND date = {day:Date}`,
    { chain: chainId, day },
    (row) => visible.set(keyOf(row, spec.keyColumns), fingerprint(row, spec.visible)),
  );
  await streamRows<Record<string, unknown>>(
    client,
    `SELECT ${keys}, max(version) AS v FROM ${spec.table} WHERE chain_id = {chain:UInt64} AND date = {day:Date} GROUP BY ${keys}`,
    { chain: chainId, day },
    (row) => maxVersion.set(keyOf(row, spec.keyColumns), Number(row.v)),
  );
  return { visible, maxVersion };
}

/**
 * Upserts one day of a mart: rows that differ from the visible ones get the next version; visible keys the
 * recomputation did not produce get a deletion row (transfer_count = 0 ⇒ is_deleted).
 * Returns the computed rows with the version each one now has (for the scorers' source version).
 */
async function upsertMart(
  client: ClickHouseClient,
  spec: MartSpec,
  chainId: number,
  day: string,
  rows: readonly Record<string, unknown>[],
  batch: number,
  result: TableResult,
): Promise<Map<string, number>> {
  const stored = await storedMart(client, spec, chainId, day);
  const writes: Record<string, unknown>[] = [];
  const versions = new Map<string, number>();
  const produced = new Set<string>();
  for (const row of rows) {
    const key = keyOf(row, spec.keyColumns);
    produced.add(key);
    const storedMax = stored.maxVersion.get(key) ?? 0;
    if (stored.visible.get(key) === fingerprint(row, spec.visible)) {
      versions.set(key, storedMax);
      continue;
    }
    const version = Math.max(storedMax + 1, Number(row.version));
    versions.set(key, version);
    writes.push({ ...row, version });
  }
  result.computed += rows.length;
  result.written += writes.length;
  const endOfDay = chTime(Date.parse(`${day}T00:00:00Z`) + DAY_MS - 1);
  for (const key of stored.visible.keys()) {
    if (produced.has(key)) continue;
    const parts = key.split('|');
    const deletion: Record<string, unknown> = {
      date: day,
      chain_id: chainId,
      transfer_count: 0,
      is_final: true,
      emitted_at: endOfDay,
    };
    spec.keyColumns.forEach((c, i) => (deletion[c] = parts[i]));
    deletion.version = (stored.maxVersion.get(key) ?? 0) + 1;
    writes.push(deletion);
    result.removed++;
  }
  await insertRows(client, spec.table, writes, batch);
  return versions;
}

/** Upserts one day's anomalies: changed ones get the next version (keeping the first detection time), stored
 * ones the scorers no longer raise are re-inserted as `withdrawn`. */
async function upsertAnomalies(
  client: ClickHouseClient,
  chainId: number,
  day: string,
  anomalies: readonly Anomaly[],
  batch: number,
  result: TableResult,
): Promise<void> {
  const stored = new Map<string, Record<string, unknown>>();
  await streamRows<Record<string, unknown>>(
    client,
    `SELECT * EXCEPT (inserted_at) FROM anomalies FINAL WHERE chain_id = {chain:UInt64} AND day = {day:Date}`,
    { chain: chainId, day },
    (row) => stored.set(String(row.anomaly_id), row),
  );
  const writes: Record<string, unknown>[] = [];
  const raised = new Set<string>();
  for (const anomaly of anomalies) {
    raised.add(anomaly.anomaly_id);
    const row = anomalyRow(anomaly);
    const previous = stored.get(anomaly.anomaly_id);
    if (previous !== undefined && fingerprint(previous, ANOMALY_VISIBLE) === fingerprint(row, ANOMALY_VISIBLE)) continue;
    const storedVersion = previous === undefined ? 0 : Number(previous.version);
    writes.push({
      ...row,
      version: Math.max(storedVersion + 1, anomaly.version),
      detected_at: previous?.detected_at ?? row.detected_at,
    });
  }
  result.computed += anomalies.length;
  result.written += writes.length;
  const endOfDay = chTime(Date.parse(`${day}T00:00:00Z`) + DAY_MS - 1);
  for (const [id, row] of stored) {
    if (raised.has(id) || row.status === 'withdrawn') continue;
    writes.push({ ...row, status: 'withdrawn', version: Number(row.version) + 1, updated_at: endOfDay });
    result.removed++;
  }
  await insertRows(client, 'anomalies', writes, batch);
}

// ---------- input rows ----------

interface TransferRow {
  chain_id: string | number;
  block_number: string | number;
  block_hash: string;
  ts_ms: string | number;
  tx_hash: string;
  tx_index: number;
  log_index: number;
  token_address: string;
  from_address: string;
  to_address: string;
  amount_raw: string;
  amount_decimal: string | null;
  decimals: number | null;
  symbol: string | null;
  is_mint: boolean | number;
  is_burn: boolean | number;
  form: string;
  checkpoint: string;
}

/** A canonical `erc20_transfers` row as the processors' domain transfer (what topology.ts builds from Avro). */
function domainTransfer(r: TransferRow): Erc20Transfer {
  return {
    chain_id: Number(r.chain_id),
    block_number: Number(r.block_number),
    block_hash: r.block_hash,
    tx_hash: r.tx_hash,
    tx_index: Number(r.tx_index),
    log_index: Number(r.log_index),
    token_address: r.token_address,
    from_address: r.from_address,
    to_address: r.to_address,
    amount_raw: BigInt(r.amount_raw),
    amount_decimal: r.amount_decimal,
    decimals: r.decimals === null ? null : Number(r.decimals),
    symbol: r.symbol,
    timestamp: Math.floor(Number(r.ts_ms) / 1000),
    is_mint: r.is_mint === true || r.is_mint === 1,
    is_burn: r.is_burn === true || r.is_burn === 1,
    encoding: r.form === 'standard' ? 'indexed' : 'unindexed_legacy',
    removed: false,
    checkpoint: r.checkpoint,
  };
}

const TRANSFERS_OF_DAY = `
  SELECT chain_id, block_number, block_hash, toUnixTimestamp64Milli(block_timestamp) AS ts_ms, tx_hash, tx_index, log_index,
         token_address, from_address, to_address, toString(amount_raw) AS amount_raw, amount_decimal, decimals, symbol,
         is_mint, is_burn, form, checkpoint
  FROM erc20_transfers FINAL
  WHERE chain_id = {chain:UInt64} AND is_orphaned = 0 AND toDate(block_timestamp) = {day:Date}
  ORDER BY block_timestamp, block_number, tx_index, log_index`;

const PRICES_BETWEEN = `
  SELECT token_address, toUnixTimestamp64Milli(price_timestamp) AS ts_ms, toString(price_usd) AS price_usd, source
  FROM prices_spot FINAL
  WHERE chain_id = {chain:UInt64} AND price_usd IS NOT NULL
    AND price_timestamp >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND price_timestamp < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
  ORDER BY price_timestamp, token_address`;

// ---------- the run ----------

type AnyDriver = TestDriver<Record<string, unknown>, unknown, unknown>;

/** Drives a processor in memory; outputs go to `sink`. */
function driver(processor: unknown, sink: (output: OutputRecord<unknown>) => void): AnyDriver {
  return createTestDriver(processor as Parameters<typeof createTestDriver>[0], {
    verifySerde: false,
    onOutput: sink,
  }) as AnyDriver;
}

export async function recompute(params: RecomputeParameters): Promise<RecomputeResult> {
  const { config, client } = params;
  const logger = params.logger.child({ component: 'recompute' });
  const chainId = params.chainId ?? config.chains[0]?.chainId ?? 1;
  const batch = params.insertBatchRows ?? 20_000;
  // Finals only (no update records); closed windows are purged at once (retention 0): state is one day.
  const windowing: Partial<WindowingConfig> = {
    priceStalenessMs: config.prices.stalenessLimitS * 1000,
    updates: 'on_punctuate',
    retentionMs: 0,
  };
  const graceMs = DEFAULT_WINDOWING.graceMs;
  const idleMs = DEFAULT_WINDOWING.idleTimeoutMs;
  const days = recomputeDays(params.fromDate, params.toDate, params.nowMs ?? Date.now(), graceMs);

  const tokenStage = tokenMetricsStage({ windowing });
  const addressStage = addressFlowsStage({ windowing });
  let tokenFinals: TokenMetricsRecord[] = [];
  let addressFinals: AddressFlowsRecord[] = [];
  const tokens = driver(tokenStage.processor, (output) => {
    if (output.topic !== 'token.metrics.daily') return; // late events cannot occur in time order
    tokenFinals.push(tokenStage.toAvro(output).value as TokenMetricsRecord);
  });
  const addresses = driver(addressStage.processor, (output) => {
    if (output.topic !== 'address.flows.daily') return;
    addressFinals.push(addressStage.toAvro(output).value as AddressFlowsRecord);
  });
  let raised: Anomaly[] = [];
  const collect = (output: OutputRecord<unknown>): void => void raised.push(output.value as Anomaly);
  const tokenScorer = driver(createTokenAnomalyProcessor(config), collect);
  const addressScorer = driver(createAddressAnomalyProcessor(config), collect);

  // 1. The scorers' baselines: stored finals of the history before the range.
  const firstMs = Date.parse(`${days[0] as string}T00:00:00Z`);
  const historyFrom = isoDay(firstMs - config.anomalies.historyDays * DAY_MS);
  let history = 0;
  await streamRows<TokenMetricsInput & { day_text: string }>(
    client,
    `SELECT toString(date) AS day_text, chain_id, token_address, toString(volume_usd) AS volume_usd, transfer_count,
            unique_addresses, version, is_final, toUnixTimestamp64Milli(emitted_at) AS emitted_at
     FROM token_metrics_daily FINAL
     WHERE chain_id = {chain:UInt64} AND is_final AND date >= {from:Date} AND date < {to:Date} ORDER BY date, token_address`,
    { chain: chainId, from: historyFrom, to: days[0] },
    (r) => {
      history++;
      tokenScorer.pipe(numericInput({ ...r, date: r.day_text }));
    },
  );
  await streamRows<AddressFlowsInput & { day_text: string }>(
    client,
    `SELECT toString(date) AS day_text, chain_id, address, token_address, toString(inflow_usd) AS inflow_usd,
            toString(outflow_usd) AS outflow_usd, toString(net_flow_usd) AS net_flow_usd, version, is_final,
            toUnixTimestamp64Milli(emitted_at) AS emitted_at
     FROM address_flows_daily FINAL
     WHERE chain_id = {chain:UInt64} AND is_final AND date >= {from:Date} AND date < {to:Date} ORDER BY date, address, token_address`,
    { chain: chainId, from: historyFrom, to: days[0] },
    (r) => {
      history++;
      addressScorer.pipe(numericInput({ ...r, date: r.day_text }));
    },
  );
  raised = []; // anomalies of history days are the stream's business
  logger.info({ msg: 'scorer baselines loaded', history_rows: history, from: historyFrom });

  // 2. Prices before the first day (as-of joins and staleness look back PRICE_LOOKBACK_MS).
  const pipePrices = async (fromMs: number, toMs: number): Promise<void> => {
    await streamRows<{ token_address: string; ts_ms: string; price_usd: string; source: string }>(
      client,
      PRICES_BETWEEN,
      { chain: chainId, from: fromMs, to: toMs },
      (r) => {
        const tick: PriceTick = {
          chain_id: chainId,
          token_address: r.token_address.toLowerCase(),
          timestamp: Math.floor(Number(r.ts_ms) / 1000),
          price_usd: r.price_usd,
          source: r.source,
        };
        tokens.pipe(tick);
        addresses.pipe(tick);
      },
    );
  };
  await pipePrices(firstMs - PRICE_LOOKBACK_MS, firstMs);

  const results: DayResult[] = [];
  for (const [index, day] of days.entries()) {
    const dayMs = Date.parse(`${day}T00:00:00Z`);
    const started = performance.now();
    const dayResult: DayResult = {
      day,
      transfers: 0,
      durationMs: 0,
      token_metrics_daily: { computed: 0, written: 0, removed: 0 },
      address_flows_daily: { computed: 0, written: 0, removed: 0 },
      anomalies: { computed: 0, written: 0, removed: 0 },
    };
    // 3. The day's prices, then its transfers in event-time order.
    await pipePrices(dayMs, dayMs + DAY_MS);
    await streamRows<TransferRow>(client, TRANSFERS_OF_DAY, { chain: chainId, day }, (row) => {
      const transfer = domainTransfer(row);
      tokens.pipe(transfer);
      for (const leg of addressLegsOf(transfer)) addresses.pipe(leg);
      dayResult.transfers++;
      if (dayResult.transfers % 10_000 === 0)
        params.onProgress?.({ day, daysDone: index, days: days.length, transfers: dayResult.transfers });
    });
    // 4. Close the day: stream time to its end + grace (an idle advance), which emits every final of the day.
    const wall = dayMs + DAY_MS + graceMs + idleMs;
    for (const d of [tokens, addresses]) {
      d.advanceWallClock(wall - d.wallClockMs);
      d.punctuate({ caughtUp: true });
    }
    const tokenRows = tokenFinals.filter((f) => f.is_final).map((f) => tokenMetricsRow(f));
    const addressRows = addressFinals.filter((f) => f.is_final).map((f) => addressFlowsRow(f));
    const tokenVersions = await upsertMart(client, TOKEN_MART, chainId, day, tokenRows, batch, dayResult.token_metrics_daily);
    const addressVersions = await upsertMart(
      client,
      ADDRESS_MART,
      chainId,
      day,
      addressRows,
      batch,
      dayResult.address_flows_daily,
    );
    // 5. Score the day's finals (source version = the version the row now has), upsert the anomalies.
    for (const f of tokenFinals) {
      if (f.is_final) tokenScorer.pipe({ ...f, version: tokenVersions.get(f.token_address) ?? f.version });
    }
    for (const f of addressFinals) {
      if (f.is_final) addressScorer.pipe({ ...f, version: addressVersions.get(`${f.address}|${f.token_address}`) ?? f.version });
    }
    await upsertAnomalies(client, chainId, day, raised, batch, dayResult.anomalies);
    tokenFinals = [];
    addressFinals = [];
    raised = [];
    dayResult.durationMs = Math.round(performance.now() - started);
    results.push(dayResult);
    params.onProgress?.({ day, daysDone: index + 1, days: days.length, transfers: dayResult.transfers });
    logger.info({ msg: 'day recomputed', ...dayResult });
  }
  const totals = { transfers: 0, written: 0, removed: 0 };
  for (const r of results) {
    totals.transfers += r.transfers;
    for (const t of [r.token_metrics_daily, r.address_flows_daily, r.anomalies]) {
      totals.written += t.written;
      totals.removed += t.removed;
    }
  }
  return { chainId, days: results, totals };
}

/** A stored mart row read as JSON (64-bit integers arrive as strings) → the scorer's input types. */
function numericInput<T extends { chain_id: number; version: number; emitted_at: number; is_final: boolean }>(row: T): T {
  const out: Record<string, unknown> = {
    ...row,
    chain_id: Number(row.chain_id),
    version: Number(row.version),
    emitted_at: Number(row.emitted_at),
    is_final: (row.is_final as unknown) === true || (row.is_final as unknown) === 1,
  };
  for (const column of ['transfer_count', 'unique_addresses']) if (column in out) out[column] = Number(out[column]);
  return out as T;
}
