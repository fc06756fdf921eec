import { performance } from 'node:perf_hooks';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import type { OraculConfig } from '../../config/schema.ts';
import { DAY_MS, isoDay, parseIsoDay } from '../../core/time.ts';
import type {
  AddressFlowsDaily as AddressFlowsRecord,
  Anomaly,
  TokenMetricsDaily as TokenMetricsRecord,
} from '../../schemas/generated/types.ts';
import { createAddressAnomaliesProcessor, createTokenAnomaliesProcessor } from '../anomalies/index.ts';
import type { AddressFlowsInput, TokenMetricsInput } from '../anomalies/index.ts';
import { PRICE_LOOKBACK_MS } from '../aggregates/prices.ts';
import { addressLegsOf } from '../aggregates/repartition.ts';
import { DEFAULT_WINDOWING, type WindowingConfig } from '../aggregates/windowing.ts';
import type { OutputRecord } from '../engine/processor.ts';
import { createInMemoryTask, type InMemoryTask } from '../engine/inMemoryTask.ts';
import { addressFlowsStage } from '../aggregates/address-flows-stage.ts';
import { tokenMetricsStage } from '../aggregates/token-metrics-stage.ts';
import { addressFlowsRow, tokenMetricsRow } from '../sinks/derived-sinks.ts';
import { ADDRESS_MART, TOKEN_MART } from './diff.ts';
import { domainTransfer, numericInput, priceTick, type PriceRow, type TransferRow } from './input-rows.ts';
import { recomputeDays } from './range.ts';
import { ADDRESS_BASELINE, PRICES_BETWEEN, TOKEN_BASELINE, TRANSFERS_OF_DAY } from './sql.ts';
import { streamRows, upsertAnomalies, upsertMart, type DayTarget, type TableResult } from './warehouse.ts';

export { recomputeDays } from './range.ts';
export type { TableResult } from './warehouse.ts';

/**
 * `oracul recompute`: rebuilds the daily marts and their anomalies for closed past days from `erc20_transfers`
 * (FINAL, canonical rows only, as every reader sees them) and `prices_spot`, without re-reading the chain.
 *
 * The SAME processors as the stream run here, each as an in-memory task (processors/engine/inMemoryTask.ts): the token-metrics and
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

type AnyTask = InMemoryTask<Record<string, unknown>, unknown, unknown>;

/** Runs a processor as one in-memory task; outputs go to `sink`. */
function task(processor: unknown, sink: (output: OutputRecord<unknown>) => void): AnyTask {
  return createInMemoryTask(processor as Parameters<typeof createInMemoryTask>[0], { onOutput: sink }) as AnyTask;
}

/** The stream's processors, in memory, and what they emitted since the last {@link Engines.take}. */
interface Engines {
  readonly tokens: AnyTask;
  readonly addresses: AnyTask;
  readonly tokenScorer: AnyTask;
  readonly addressScorer: AnyTask;
  /** The day's finals and anomalies, handed over and forgotten. */
  take(): { tokenFinals: TokenMetricsRecord[]; addressFinals: AddressFlowsRecord[]; raised: Anomaly[] };
}

/** The aggregators (finals only, rendered by the topology's own Avro mapping) and the two scorers. */
function createEngines(config: OraculConfig): Engines {
  // Finals only (no update records); closed windows are purged at once (retention 0): state is one day.
  const windowing: Partial<WindowingConfig> = {
    priceStalenessMs: config.prices.stalenessLimitS * 1000,
    updates: 'on_punctuate',
    retentionMs: 0,
  };
  const tokenStage = tokenMetricsStage({ windowing });
  const addressStage = addressFlowsStage({ windowing });
  let tokenFinals: TokenMetricsRecord[] = [];
  let addressFinals: AddressFlowsRecord[] = [];
  let raised: Anomaly[] = [];
  const collect = (output: OutputRecord<unknown>): void => void raised.push(output.value as Anomaly);
  return {
    tokens: task(tokenStage.processor, (output) => {
      if (output.topic !== 'token.metrics.daily') return; // late events cannot occur in time order
      tokenFinals.push(tokenStage.toAvro(output).value as TokenMetricsRecord);
    }),
    addresses: task(addressStage.processor, (output) => {
      if (output.topic !== 'address.flows.daily') return;
      addressFinals.push(addressStage.toAvro(output).value as AddressFlowsRecord);
    }),
    tokenScorer: task(createTokenAnomaliesProcessor(config), collect),
    addressScorer: task(createAddressAnomaliesProcessor(config), collect),
    take() {
      const taken = { tokenFinals, addressFinals, raised };
      [tokenFinals, addressFinals, raised] = [[], [], []];
      return taken;
    },
  };
}

/** What every step of a run shares. */
interface RunContext {
  readonly params: RecomputeParameters;
  readonly client: ClickHouseClient;
  readonly chainId: number;
  readonly batchRows: number;
  readonly engines: Engines;
  readonly logger: Logger;
}

export async function recompute(params: RecomputeParameters): Promise<RecomputeResult> {
  const { config, client } = params;
  const days = recomputeDays(params.fromDate, params.toDate, params.nowMs ?? Date.now(), DEFAULT_WINDOWING.graceMs);
  const run: RunContext = {
    params,
    client,
    chainId: params.chainId ?? config.chains[0]?.chainId ?? 1,
    batchRows: params.insertBatchRows ?? 20_000,
    engines: createEngines(config),
    logger: params.logger.child({ component: 'recompute' }),
  };
  const firstMs = parseIsoDay(days[0]!)!;
  // 1. The scorers' baselines: stored finals of the history before the range.
  await loadBaselines(run, days[0]!);
  // 2. Prices before the first day (as-of joins and staleness look back PRICE_LOOKBACK_MS).
  await pipePrices(run, firstMs - PRICE_LOOKBACK_MS, firstMs);
  const results: DayResult[] = [];
  for (const [index, day] of days.entries()) {
    const dayResult = await recomputeDay(run, day, (transfers) =>
      params.onProgress?.({ day, daysDone: index, days: days.length, transfers }),
    );
    results.push(dayResult);
    params.onProgress?.({ day, daysDone: index + 1, days: days.length, transfers: dayResult.transfers });
    run.logger.info({ msg: 'day recomputed', ...dayResult });
  }
  return { chainId: run.chainId, days: results, totals: totalsOf(results) };
}

/** Feeds the scorers the stored finals of the `anomalies.historyDays` before `firstDay`. */
async function loadBaselines(run: RunContext, firstDay: string): Promise<void> {
  const { client, chainId, engines, params } = run;
  const historyFrom = isoDay(parseIsoDay(firstDay)! - params.config.anomalies.historyDays * DAY_MS);
  const range = { chain: chainId, from: historyFrom, to: firstDay };
  let history = 0;
  await streamRows<TokenMetricsInput & { day_text: string }>(client, TOKEN_BASELINE, range, (r) => {
    history++;
    engines.tokenScorer.process([numericInput({ ...r, date: r.day_text })]);
  });
  await streamRows<AddressFlowsInput & { day_text: string }>(client, ADDRESS_BASELINE, range, (r) => {
    history++;
    engines.addressScorer.process([numericInput({ ...r, date: r.day_text })]);
  });
  engines.take(); // anomalies of history days are the stream's business
  run.logger.info({ msg: 'scorer baselines loaded', history_rows: history, from: historyFrom });
}

/** Feeds both aggregators the prices observed in [fromMs, toMs). */
async function pipePrices(run: RunContext, fromMs: number, toMs: number): Promise<void> {
  const { tokens, addresses } = run.engines;
  await streamRows<PriceRow>(run.client, PRICES_BETWEEN, { chain: run.chainId, from: fromMs, to: toMs }, (r) => {
    const tick = priceTick(run.chainId, r);
    tokens.process([tick]);
    addresses.process([tick]);
  });
}

/** Recomputes one closed day and upserts its marts and anomalies. */
async function recomputeDay(run: RunContext, day: string, onTransfers: (transfers: number) => void): Promise<DayResult> {
  const started = performance.now();
  const dayResult: DayResult = {
    day,
    transfers: 0,
    durationMs: 0,
    token_metrics_daily: { computed: 0, written: 0, removed: 0 },
    address_flows_daily: { computed: 0, written: 0, removed: 0 },
    anomalies: { computed: 0, written: 0, removed: 0 },
  };
  const dayMs = parseIsoDay(day)!;
  // 3. The day's prices, then its transfers in event-time order.
  await pipePrices(run, dayMs, dayMs + DAY_MS);
  dayResult.transfers = await pipeTransfers(run, day, onTransfers);
  // 4. Close the day: its finals are upserted; 5. they are scored and the anomalies upserted.
  closeDay(run.engines, dayMs);
  await upsertDay(run, { client: run.client, chainId: run.chainId, day, batchRows: run.batchRows }, dayResult);
  dayResult.durationMs = Math.round(performance.now() - started);
  return dayResult;
}

/** Feeds the day's canonical transfers to both aggregators; returns how many there were. */
async function pipeTransfers(run: RunContext, day: string, onTransfers: (transfers: number) => void): Promise<number> {
  const { tokens, addresses } = run.engines;
  let transfers = 0;
  await streamRows<TransferRow>(run.client, TRANSFERS_OF_DAY, { chain: run.chainId, day }, (row) => {
    const transfer = domainTransfer(row);
    tokens.process([transfer]);
    addresses.process(addressLegsOf(transfer));
    transfers++;
    if (transfers % 10_000 === 0) onTransfers(transfers);
  });
  return transfers;
}

/** Stream time to the day's end + grace (an idle advance), which emits every final of the day. */
function closeDay(engines: Engines, dayMs: number): void {
  const wall = dayMs + DAY_MS + DEFAULT_WINDOWING.graceMs + DEFAULT_WINDOWING.idleTimeoutMs;
  for (const d of [engines.tokens, engines.addresses]) {
    d.advanceWallClock(wall - d.wallClockMs);
    d.punctuate({ caughtUp: true });
  }
}

/** Upserts the day's finals, scores them (source version = the version the row now has), upserts the anomalies. */
async function upsertDay(run: RunContext, target: DayTarget, dayResult: DayResult): Promise<void> {
  const { engines } = run;
  const { tokenFinals, addressFinals } = engines.take();
  const tokens = tokenFinals.filter((f) => f.is_final);
  const addresses = addressFinals.filter((f) => f.is_final);
  const tokenRows = tokens.map((f) => tokenMetricsRow(f));
  const tokenVersions = await upsertMart(target, TOKEN_MART, tokenRows, dayResult.token_metrics_daily);
  const addressRows = addresses.map((f) => addressFlowsRow(f));
  const addressVersions = await upsertMart(target, ADDRESS_MART, addressRows, dayResult.address_flows_daily);
  for (const f of tokens) engines.tokenScorer.process([{ ...f, version: tokenVersions.get(f.token_address) ?? f.version }]);
  for (const f of addresses) {
    engines.addressScorer.process([{ ...f, version: addressVersions.get(`${f.address}|${f.token_address}`) ?? f.version }]);
  }
  await upsertAnomalies(target, engines.take().raised, dayResult.anomalies);
}

function totalsOf(results: readonly DayResult[]): RecomputeResult['totals'] {
  const totals = { transfers: 0, written: 0, removed: 0 };
  for (const r of results) {
    totals.transfers += r.transfers;
    for (const t of [r.token_metrics_daily, r.address_flows_daily, r.anomalies]) {
      totals.written += t.written;
      totals.removed += t.removed;
    }
  }
  return totals;
}
