/**
 * The daily-metric anomaly scoring processor shared by the token and address scorers.
 *
 * Input: the records of a daily aggregate topic (token.metrics.daily / address.flows.daily): updates of the open
 * day (is_final=false) and the final record (is_final=true), each with a strictly increasing per-row `version`.
 * For every tracked entity and metric:
 *
 *  - an update is scored against the baseline of the last N final days (scoreDayUpdate): a monotone metric
 *    already above a full day's upper bound is flagged before midnight (status `open`);
 *  - the final record re-scores the closed day (closeDay, status `final`), then enters the baseline;
 *  - an emitted anomaly that no longer holds (the final cleared a projected drop, a retraction lowered the day) is
 *    re-emitted as `withdrawn`.
 *
 * Anomaly ids are deterministic (anomalyId.ts); `version` is the source row's version, which is strictly increasing
 * per (entity, day) and so per anomaly id, and reproduces on replay. A new version is emitted only when the status
 * or the severity changes or the value moves by `valueChangeRatio`: one anomaly, a handful of versions per day.
 */
import { createHash } from 'node:crypto';
import type { Anomaly, AnomalySeverity, AnomalyStatus } from '../../../schemas/generated/types.ts';
import type { Processor, ProcessResult } from '../../engine/processor.ts';
import { plainObject, plainToNumber, plainToString, type Plain, type StateCodec, type StoreSpecs } from '../../engine/state.ts';
import { StateTxn } from '../../engine/stateTxn.ts';
import { inverseTransform } from '../lib/daily-baseline.ts';
import {
  closeDay,
  createDailyScorerState,
  scoreDayUpdate,
  type DailyScorerParams,
  type DailyScorerState,
  type DayScore,
} from '../lib/daily-scorer.ts';
import { cloneStreamingDetectorState, type StreamingDetectorState } from '../detector/streaming-detector.ts';
import { stepHourly, type HourlyCursor, type HourlyDetectorParams, type HourlyScore } from '../intraday-detector/hourly.ts';
import { AnomalyParameterError } from '../lib/errors.ts';
import { HOURS_PER_DAY } from '../lib/intraday.ts';
import { severityOf } from '../lib/severity.ts';
import type { AnomalyScoringParams } from './params.ts';
import { addVolume, isTop, logContribution, nthLargest, type TopNMeta } from './top-n.ts';
import { addDays, DAY_MS, epochDayOf, HOUR_MS, isoDayOfEpochDay, isoDayStartMs, isoHour } from '../../../core/time.ts';

export const ANOMALIES_TOPIC = 'anomalies';
export const SCORING_METHOD = 'robust_zscore';
/** Method of the hourly streaming detector's anomalies (intraday-detector/hourly.ts). */
export const HOURLY_METHOD = 'streaming_record';

/** One scored metric of an aggregate record. */
export interface MetricSpec<In> {
  readonly name: string;
  /** The metric's value, or null when unknown (e.g. volume_usd without prices): then it is not scored. */
  read(record: In): number | null;
  /** Signed metrics (net flows) are scored on the identity scale and only on closed days. */
  readonly signed: boolean;
  /** Also run the hourly streaming detector on the metric's hourly increments (additive metrics only). */
  readonly hourly?: boolean;
}

/** What the engine needs to know about an aggregate record. */
export interface EntitySpec<In> {
  readonly entityType: 'token' | 'address';
  readonly metrics: readonly MetricSpec<In>[];
  /** Day of the record: 'YYYY-MM-DD' (processor output) or days since epoch (Avro). */
  date(record: In): string | number;
  chainId(record: In): number;
  entityId(record: In): string;
  tokenAddress(record: In): string | null;
  /** USD volume of a final day, which ranks entities for the top-N. */
  volumeUsd(record: In): number | null;
  isFinal(record: In): boolean;
  version(record: In): number;
  /** Stream time at emission (event time). */
  emittedAt(record: In): number;
}

/** Scoring state of one entity: one daily scorer per metric and the hourly cumulative values of running days. */
export interface EntitySeries {
  readonly metrics: Readonly<Record<string, DailyScorerState>>;
  /** day → metric → cumulative value at the end of each hour seen (null where no update came). */
  readonly running: Readonly<Record<string, Readonly<Record<string, readonly (number | null)[]>>>>;
  /** metric → the hourly detector's running hour (absent when the hourly detector is off). */
  readonly hourly?: Readonly<Record<string, HourlyCursor>>;
}

/** What the engine remembers of an emitted anomaly. */
export interface AnomalyMemo {
  readonly version: number;
  readonly severity: AnomalySeverity;
  readonly status: AnomalyStatus;
  readonly detectedAt: number;
  readonly value: number;
}

export interface ScorerMeta extends TopNMeta {
  /** Latest day seen ('YYYY-MM-DD'), or '' before any record. */
  readonly maxDay: string;
}

export type ScorerStores = {
  series: EntitySeries;
  anomalies: AnomalyMemo;
  meta: ScorerMeta;
  candidates: number;
  rank: string;
  detectors: StreamingDetectorState;
};

const META_KEY = 'meta';
const INITIAL_META: ScorerMeta = { maxDay: '', count: 0, threshold: null };

// ---------- codecs: plain JSON, validated on decode ----------

const finite = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x);

function sanitizeSeries(series: EntitySeries): EntitySeries {
  // The cached baseline is recomputable; drop it if it holds a non-finite number (JSON cannot carry it).
  const metrics: Record<string, DailyScorerState> = {};
  for (const [name, state] of Object.entries(series.metrics)) {
    const c = state.cached;
    const ok = c === null || [c.center, c.spread, c.lower, c.upper, c.dayOfWeekOffset].every(finite);
    metrics[name] = ok ? state : { ...state, cached: null };
  }
  return series.hourly === undefined
    ? { metrics, running: series.running }
    : { metrics, running: series.running, hourly: series.hourly };
}

const seriesCodec: StateCodec<EntitySeries> = {
  encode: (value) => sanitizeSeries(value) as unknown as Plain,
  decode: (plain, key) => {
    const o = plainObject(plain, 'series', key);
    plainObject(o.metrics ?? null, 'series', key);
    plainObject(o.running ?? null, 'series', key);
    return o as unknown as EntitySeries; // decoded values are fresh and never mutated (copy-on-write in process)
  },
};

const memoCodec: StateCodec<AnomalyMemo> = {
  encode: (m) => ({ ...m }),
  decode: (plain, key) => {
    const o = plainObject(plain, 'anomalies', key);
    return {
      version: plainToNumber(o.version, 'anomalies', key),
      severity: plainToString(o.severity, 'anomalies', key) as AnomalySeverity,
      status: plainToString(o.status, 'anomalies', key) as AnomalyStatus,
      detectedAt: plainToNumber(o.detectedAt, 'anomalies', key),
      value: plainToNumber(o.value, 'anomalies', key),
    };
  },
};

const metaCodec: StateCodec<ScorerMeta> = {
  encode: (m) => ({ ...m }),
  decode: (plain, key) => {
    const o = plainObject(plain, 'meta', key);
    return {
      maxDay: plainToString(o.maxDay, 'meta', key),
      count: plainToNumber(o.count, 'meta', key),
      threshold: o.threshold === null ? null : plainToNumber(o.threshold, 'meta', key),
    };
  },
};

export const SCORER_STORES: StoreSpecs<ScorerStores> = {
  series: {
    codec: seriesCodec,
    doc: 'entity key → per-metric daily scorer state (last N final days, intraday profile) and hourly values of running days',
  },
  anomalies: {
    codec: memoCodec,
    doc: "'<YYYY-MM-DD>|<entity key>|<metric>' → last emitted version, severity, status, detected_at (kept stateRetentionDays)",
  },
  meta: { codec: metaCodec, doc: "'meta' → latest day seen, candidate count, top-N threshold" },
  candidates: {
    codec: { encode: (v) => v, decode: (p, k) => plainToNumber(p, 'candidates', k) },
    doc: 'top-N only: entity key → log of the decayed USD volume (Space-Saving counter)',
  },
  rank: {
    codec: { encode: (v) => v, decode: (p, k) => plainToString(p, 'rank', k) },
    doc: 'top-N only: sortable log weight + entity key → entity key (min and N-th largest by range read)',
  },
  detectors: {
    codec: {
      encode: (v) => v as unknown as Plain,
      decode: (plain, key) => {
        const o = plainObject(plain, 'detectors', key);
        plainObject(o.histories ?? null, 'detectors', key);
        plainObject(o.seasonal ?? null, 'detectors', key);
        return o as unknown as StreamingDetectorState; // fresh on decode; mutated only after a copy (process)
      },
    },
    doc: "hourly detector: '<entity key>|<metric>' → streaming detector state (H hours per feature), written when an hour closes",
  },
};

// ---------- helpers ----------

export function toIsoDay(date: string | number): string {
  if (typeof date === 'number') return isoDayOfEpochDay(date);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new AnomalyParameterError(`day must be YYYY-MM-DD, got ${date}`, { date });
  return date;
}

/** Epoch day of a `YYYY-MM-DD` day. */
function epochDayOfIsoDay(isoDay: string): number {
  return epochDayOf(isoDayStartMs(isoDay));
}

/**
 * Deterministic anomaly id (schemas/anomalies.avsc): lowercase hex sha256 of
 * '<chain_id>|<entity_type>|<entity_id>|<token_address or empty>|<metric>|<YYYY-MM-DD>|<method>'.
 */
export function anomalyId(parts: {
  chainId: number;
  entityType: 'token' | 'address';
  entityId: string;
  tokenAddress: string | null;
  metric: string;
  day: string;
  method: string;
}): string {
  const text = [
    parts.chainId,
    parts.entityType,
    parts.entityId.toLowerCase(),
    (parts.tokenAddress ?? '').toLowerCase(),
    parts.metric,
    parts.day,
    parts.method,
  ].join('|');
  return createHash('sha256').update(text).digest('hex');
}

/** Parses a decimal string (USD) into a double for statistics; exact amounts stay in the marts. */
export function decimalToNumber(text: string | null): number | null {
  if (text === null) return null;
  const x = Number(text);
  return Number.isFinite(x) ? x : null;
}

/**
 * A copy of a scorer state that closeDay/scoreDayUpdate may mutate: they replace `finalDays` and `cached` and write
 * into the profile's arrays, so copying the arrays is enough (points and baselines are never mutated).
 * structuredClone costs ~100 µs for 60 days; this is ~1 µs.
 */
function copyScorerState(state: DailyScorerState): DailyScorerState {
  return {
    finalDays: [...state.finalDays],
    profile: { ...state.profile, meanShare: [...state.profile.meanShare], varShare: [...state.profile.varShare] },
    cached: state.cached,
    firstDay: state.firstDay,
  };
}

function hourIndex(emittedAt: number, dayStartMs: number): number {
  return Math.min(HOURS_PER_DAY - 1, Math.max(0, Math.floor((emittedAt - dayStartMs) / HOUR_MS)));
}

/** Forward-filled cumulative values at the end of each hour, the final total at hour 24. */
function cumulativeByHour(hourly: readonly (number | null)[] | undefined, total: number): number[] | null {
  if (hourly === undefined || hourly.every((v) => v === null)) return null;
  const out: number[] = [];
  let last = 0;
  for (let h = 0; h < HOURS_PER_DAY; h++) {
    const v = hourly[h];
    if (v !== null && v !== undefined) last = v;
    out.push(Math.min(last, total));
  }
  out[HOURS_PER_DAY - 1] = total;
  return out;
}

/** Where a record's anomalies come from. */
interface EmitAt {
  readonly chainId: number;
  readonly entityId: string;
  readonly tokenAddress: string | null;
  readonly entityKey: string;
  readonly day: string;
  readonly version: number;
  readonly emittedAt: number;
}

const DISABLED_HOURLY = { enabled: false } as HourlyDetectorParams;

/** Memo key of an hourly anomaly: under its day, so the retention's range delete forgets it with the day. */
function hourlyMemoKey(day: string, entityKey: string, metric: string, hourMs: number): string {
  return `${day}|${entityKey}|${metric}|${HOURLY_METHOD}|${isoHour(hourMs).slice(11)}`;
}

export interface ScorerOptions<In> {
  readonly name: string;
  readonly spec: EntitySpec<In>;
  readonly params: AnomalyScoringParams;
  /** The hourly streaming detector on the metrics marked `hourly` (token scorer); off when absent or disabled. */
  readonly hourly?: HourlyDetectorParams;
  readonly outputTopic?: string;
}

/** A record's place: its entity, day and version (what its anomalies carry), plus its day's start and finality. */
interface RecordAt extends EmitAt {
  readonly dayStartMs: number;
  readonly final: boolean;
}

/** The working copy of an entity's series for one record (the view's values are never mutated). */
interface SeriesCopy {
  readonly metrics: Record<string, DailyScorerState>;
  readonly running: Record<string, Record<string, (number | null)[]>>;
  readonly hourly: Record<string, HourlyCursor>;
}

type ScorerTxn = StateTxn<ScorerStores, Anomaly>;

/**
 * An anomaly's next lifecycle step: its severity and status when it alarms (null when nothing changed enough to
 * emit), `withdrawn` when an emitted anomaly no longer alarms, null when there is nothing to say.
 */
function nextLifecycle(
  memo: AnomalyMemo | undefined,
  severity: AnomalySeverity | null,
  status: AnomalyStatus,
  value: number,
  valueChangeRatio: number,
): { readonly severity: AnomalySeverity; readonly status: AnomalyStatus } | null {
  if (severity === null) {
    if (memo === undefined || memo.status === 'withdrawn') return null;
    return { severity: memo.severity, status: 'withdrawn' };
  }
  const changed =
    memo === undefined ||
    memo.status !== status ||
    memo.severity !== severity ||
    Math.abs(value - memo.value) > valueChangeRatio * Math.abs(memo.value);
  return changed ? { severity, status } : null;
}

/** The scoring steps of one entity spec and parameter set; {@link createScoringProcessor} wires them into a processor. */
class ScoringEngine<In> {
  readonly topic: string;
  private readonly topN: number;
  private readonly capacity: number;
  private readonly hourly: HourlyDetectorParams;
  private readonly hourlyOn: boolean;

  constructor(
    private readonly spec: EntitySpec<In>,
    private readonly params: AnomalyScoringParams,
    hourly: HourlyDetectorParams | undefined,
    topic: string | undefined,
  ) {
    this.topic = topic ?? ANOMALIES_TOPIC;
    this.topN = params.topN.topN;
    this.capacity = this.topN * params.topN.candidateFactor;
    if (this.topN > 0 && params.topN.candidateFactor < 1) throw new AnomalyParameterError('candidateFactor must be >= 1');
    this.hourly = hourly ?? DISABLED_HOURLY;
    this.hourlyOn = this.hourly.enabled && spec.metrics.some((m) => m.hourly === true);
  }

  /** One aggregate record: day bookkeeping, the top-N gate, then every metric scored. */
  process(txn: ScorerTxn, record: In): void {
    const at = this.recordAt(record);
    const scored = this.admit(txn, this.startDay(txn, at.day), record, at);
    if (scored !== null) this.scoreMetrics(txn, record, at, scored);
  }

  private recordAt(record: In): RecordAt {
    const spec = this.spec;
    const day = toIsoDay(spec.date(record));
    const chainId = spec.chainId(record);
    const entityId = spec.entityId(record).toLowerCase();
    const tokenAddress = spec.tokenAddress(record)?.toLowerCase() ?? null;
    return {
      chainId,
      entityId,
      tokenAddress,
      entityKey: spec.entityType === 'token' ? `${chainId}:${entityId}` : `${chainId}:${entityId}:${tokenAddress ?? ''}`,
      day,
      version: spec.version(record),
      emittedAt: spec.emittedAt(record),
      dayStartMs: epochDayOfIsoDay(day) * DAY_MS,
      final: spec.isFinal(record),
    };
  }

  /** Stream day bookkeeping: a new day forgets old anomaly memos and recomputes the top-N threshold once. */
  private startDay(txn: ScorerTxn, day: string): ScorerMeta {
    const meta = txn.get('meta', META_KEY) ?? INITIAL_META;
    if (day <= meta.maxDay) return meta;
    txn.deleteRange('anomalies', '', addDays(day, -this.params.stateRetentionDays));
    return { ...meta, maxDay: day, threshold: this.topN > 0 ? nthLargest(txn, this.topN) : null };
  }

  /**
   * Stores the day's meta after the top-N gate (without a top-N every entity is scored). Top-N: final days feed the
   * Space-Saving counters; only candidates keep history (null: not a candidate, nothing to score), only the top is
   * scored (false: keep history, emit nothing).
   */
  private admit(txn: ScorerTxn, meta: ScorerMeta, record: In, at: RecordAt): boolean | null {
    if (this.topN === 0) {
      txn.put('meta', META_KEY, meta);
      return true;
    }
    let next = meta;
    if (at.final) {
      const volume = this.spec.volumeUsd(record) ?? 0;
      const contribution = logContribution(volume, epochDayOfIsoDay(at.day), this.params.topN.decayHalfLifeDays);
      if (contribution !== null) {
        const change = addVolume(txn, next, this.capacity, at.entityKey, contribution);
        next = { ...change.meta, maxDay: next.maxDay };
        if (change.evicted !== null) txn.delete('series', change.evicted);
      }
    }
    if (txn.get('candidates', at.entityKey) === undefined) {
      txn.put('meta', META_KEY, next);
      return null;
    }
    const top = isTop(txn, next, at.entityKey);
    txn.put('meta', META_KEY, next);
    return top;
  }

  /** Scores each metric of the record (hourly detector, then daily scorer) and stores the entity's series. */
  private scoreMetrics(txn: ScorerTxn, record: In, at: RecordAt, scored: boolean): void {
    const series = copySeries(txn.get('series', at.entityKey));
    for (const metric of this.spec.metrics) {
      const value = metric.read(record);
      if (value === null) continue;
      if (this.hourlyOn && metric.hourly === true) this.stepHourlyMetric(txn, series, metric, value, at, scored);
      this.scoreDaily(txn, series, metric, value, at, scored);
    }
    const running = series.running;
    if (at.final) delete running[at.day];
    const runningDays = Object.keys(running);
    if (runningDays.length > 1) {
      const oldest = addDays(at.day, -2); // a day never finalised (e.g. state restored mid-way) is dropped after 2 days
      for (const d of runningDays) if (d < oldest) delete running[d];
    }
    txn.put(
      'series',
      at.entityKey,
      this.hourlyOn ? { metrics: series.metrics, running, hourly: series.hourly } : { metrics: series.metrics, running },
    );
  }

  /** The hourly streaming detector over the metric's hourly increments. */
  private stepHourlyMetric(
    txn: ScorerTxn,
    series: SeriesCopy,
    metric: MetricSpec<In>,
    value: number,
    at: RecordAt,
    scored: boolean,
  ): void {
    const detectorKey = `${at.entityKey}|${metric.name}`;
    const step = stepHourly(
      series.hourly[metric.name],
      () => {
        const d = txn.get('detectors', detectorKey);
        return d === undefined ? undefined : cloneStreamingDetectorState(d); // never mutate the view's value
      },
      this.hourly,
      { day: at.day, cum: value, atMs: at.emittedAt, final: at.final },
    );
    if (step === null) return;
    series.hourly[metric.name] = step.cursor;
    if (step.detector !== null) txn.put('detectors', detectorKey, step.detector);
    if (scored) this.emitHourly(txn, metric, step, step.cursor.seq, at);
  }

  /** The daily scorer: a final closes the day, an update of the running day is scored as a partial day. */
  private scoreDaily(
    txn: ScorerTxn,
    series: SeriesCopy,
    metric: MetricSpec<In>,
    value: number,
    at: RecordAt,
    scored: boolean,
  ): void {
    const sp = metric.signed ? this.params.signed : this.params.monotone;
    const state = series.metrics[metric.name] ?? createDailyScorerState(sp);
    series.metrics[metric.name] = state;
    const alreadyFinal = state.finalDays.some((p) => p.day === at.day);
    let score: DayScore;
    if (at.final) {
      const hours = alreadyFinal ? null : cumulativeByHour(series.running[at.day]?.[metric.name], value);
      score = closeDay(state, at.day, value, hours, sp);
    } else {
      if (alreadyFinal) return; // an update of a day already closed: the final record decides
      const hourly = (series.running[at.day] ??= {});
      const cumulative = (hourly[metric.name] ??= new Array<number | null>(HOURS_PER_DAY).fill(null));
      cumulative[hourIndex(at.emittedAt, at.dayStartMs)] = value;
      const hoursElapsed = Math.min(HOURS_PER_DAY, Math.max(1, Math.floor((at.emittedAt - at.dayStartMs) / HOUR_MS)));
      score = scoreDayUpdate(state, at.day, value, hoursElapsed, sp);
    }
    if (scored) this.emitIfChanged(txn, metric, sp, score, at);
  }

  /** `medium` becomes `high` when a monotone metric moved by highEffectRatio or more against its center. */
  private escalate(severity: AnomalySeverity | null, score: DayScore, sp: DailyScorerParams): AnomalySeverity | null {
    if (severity !== 'medium' || score.baseline === null || sp.baseline.transform !== 'log1p') return severity;
    const logRatio = Math.abs(Math.log1p(Math.max(0, score.value)) - score.baseline.center);
    return logRatio >= Math.log(this.params.highEffectRatio) ? 'high' : severity;
  }

  /** Severity of an hourly score: by the detector's score, at most `medium` until the history is long enough. */
  private hourlySeverity(h: HourlyScore): AnomalySeverity | null {
    const sev = severityOf(h.output.score, this.hourly.severity);
    return sev === 'high' && h.historyPoints < this.hourly.highMinHistoryHours ? 'medium' : sev;
  }

  /**
   * Emits the hourly detector's verdicts: `final` for a closed hour that alarms, `open` for the running hour's
   * partial that already alarms upward, `withdrawn` for an emitted hour that no longer does (a retraction lowered
   * the running hour, or the closed hour did not confirm its open alarm). One anomaly id per (entity, metric,
   * hour); version = the series' record count (strictly increasing, reproduced on replay).
   */
  private emitHourly(
    txn: ScorerTxn,
    metric: MetricSpec<In>,
    step: NonNullable<ReturnType<typeof stepHourly>>,
    version: number,
    at: EmitAt,
  ): void {
    // Bursts only: on a sparse series a quiet hour is a "record low" of the local, shift and seasonal features
    // (devnet replay: most hourly alarms were zero hours), and drops of a day are the daily scorer's.
    const burst = (h: HourlyScore): AnomalySeverity | null =>
      h.output.score >= this.hourly.detector.alarmLevel && h.output.direction === 'up' ? this.hourlySeverity(h) : null;
    for (const h of step.closed) this.hourlyVerdict(txn, metric, h, burst(h), 'final', null, version, at);
    const open = step.open;
    if (open !== null) this.hourlyVerdict(txn, metric, open, burst(open), 'open', step.openFloor, version, at);
    else if (step.cursor.floorHourMs === step.cursor.hourMs) this.withdrawOpenHour(txn, metric, step, version, at);
  }

  /** The partial is below the alarm floor: an open alarm of this hour (before a retraction) no longer holds. */
  private withdrawOpenHour(
    txn: ScorerTxn,
    metric: MetricSpec<In>,
    step: NonNullable<ReturnType<typeof stepHourly>>,
    version: number,
    at: EmitAt,
  ): void {
    const { cursor } = step;
    const memoKey = hourlyMemoKey(cursor.day, at.entityKey, metric.name, cursor.hourMs);
    const memo = txn.get('anomalies', memoKey);
    if (memo === undefined || memo.status !== 'open') return;
    const value = Math.max(0, cursor.cum - cursor.startCum);
    txn.emit(this.topic, this.hourlyId(at, metric.name, cursor.hourMs), {
      ...this.hourlyAnomaly(at, metric.name, cursor.hourMs, value, null, step.openFloor),
      severity: memo.severity,
      status: 'withdrawn',
      detected_at: memo.detectedAt,
      version,
    });
    txn.put('anomalies', memoKey, { ...memo, version, status: 'withdrawn', value });
  }

  private hourlyVerdict(
    txn: ScorerTxn,
    metric: MetricSpec<In>,
    h: HourlyScore,
    severity: AnomalySeverity | null,
    status: 'open' | 'final',
    upper: number | null,
    version: number,
    at: EmitAt,
  ): void {
    const memoKey = hourlyMemoKey(h.day, at.entityKey, metric.name, h.hourMs);
    const memo = txn.get('anomalies', memoKey);
    if (memo !== undefined && version <= memo.version) return;
    const next = nextLifecycle(memo, severity, status, h.value, this.params.valueChangeRatio);
    if (next === null) return;
    const detectedAt = memo?.detectedAt ?? at.emittedAt;
    txn.emit(this.topic, this.hourlyId(at, metric.name, h.hourMs), {
      ...this.hourlyAnomaly(at, metric.name, h.hourMs, h.value, h, upper),
      severity: next.severity,
      status: next.status,
      detected_at: detectedAt,
      version,
    });
    txn.put('anomalies', memoKey, { version, severity: next.severity, status: next.status, detectedAt, value: h.value });
  }

  private hourlyId(at: EmitAt, metric: string, hourMs: number): string {
    return anomalyId({
      chainId: at.chainId,
      entityType: this.spec.entityType,
      entityId: at.entityId,
      tokenAddress: at.tokenAddress,
      metric,
      day: isoHour(hourMs), // 'YYYY-MM-DDTHH': one hourly anomaly per entity, metric and hour
      method: HOURLY_METHOD,
    });
  }

  /** The fields of an hourly anomaly but its lifecycle (severity, status, detected_at, version). */
  private hourlyAnomaly(
    at: EmitAt,
    metric: string,
    hourMs: number,
    value: number,
    h: HourlyScore | null,
    upper: number | null,
  ): Omit<Anomaly, 'severity' | 'status' | 'detected_at' | 'version'> {
    return {
      anomaly_id: this.hourlyId(at, metric, hourMs),
      chain_id: at.chainId,
      entity_type: this.spec.entityType,
      entity_id: at.entityId as `0x${string}`,
      token_address: at.tokenAddress as `0x${string}` | null,
      metric,
      day: epochDayOf(hourMs),
      value,
      baseline_center: h?.center ?? 0,
      baseline_spread: h?.range ?? 0,
      baseline_days: Math.floor((h?.historyPoints ?? 0) / 24),
      score: h?.output.score ?? 0,
      lower_bound: null,
      upper_bound: upper,
      method: HOURLY_METHOD,
      updated_at: at.emittedAt,
      source_version: at.version,
    };
  }

  private emitIfChanged(txn: ScorerTxn, metric: MetricSpec<In>, sp: DailyScorerParams, score: DayScore, at: EmitAt): void {
    const baseline = score.baseline;
    if (baseline === null) return;
    const memoKey = `${at.day}|${at.entityKey}|${metric.name}`;
    const memo = txn.get('anomalies', memoKey);
    if (memo !== undefined && at.version <= memo.version) return; // a replayed older source version
    const severity = score.direction === null ? null : this.escalate(severityOf(score.z, this.params.severity), score, sp);
    const next = nextLifecycle(memo, severity, score.status, score.value, this.params.valueChangeRatio);
    if (next === null) return;
    const detectedAt = memo?.detectedAt ?? at.emittedAt;
    const anomaly = this.dailyAnomaly(metric, sp, score, baseline, at, { ...next, detectedAt });
    txn.emit(this.topic, anomaly.anomaly_id, anomaly);
    txn.put('anomalies', memoKey, {
      version: at.version,
      severity: next.severity,
      status: next.status,
      detectedAt,
      value: score.value,
    });
  }

  /** The anomaly record of a daily score. */
  private dailyAnomaly(
    metric: MetricSpec<In>,
    sp: DailyScorerParams,
    score: DayScore,
    baseline: NonNullable<DayScore['baseline']>,
    at: EmitAt,
    lifecycle: { readonly severity: AnomalySeverity; readonly status: AnomalyStatus; readonly detectedAt: number },
  ): Anomaly {
    const id = anomalyId({
      chainId: at.chainId,
      entityType: this.spec.entityType,
      entityId: at.entityId,
      tokenAddress: at.tokenAddress,
      metric: metric.name,
      day: at.day,
      method: SCORING_METHOD,
    });
    const nonNeg = sp.baseline.transform === 'log1p';
    return {
      anomaly_id: id,
      chain_id: at.chainId,
      entity_type: this.spec.entityType,
      entity_id: at.entityId as `0x${string}`,
      token_address: at.tokenAddress as `0x${string}` | null,
      metric: metric.name,
      day: epochDayOfIsoDay(at.day),
      value: score.value,
      baseline_center: inverseTransform(baseline.center, sp.baseline.transform),
      baseline_spread: baseline.spread,
      baseline_days: baseline.historyDays,
      score: Number.isFinite(score.z) ? score.z : 0,
      lower_bound: nonNeg && baseline.lower <= 0 ? null : baseline.lower,
      upper_bound: Number.isFinite(baseline.upper) ? baseline.upper : null,
      method: SCORING_METHOD,
      severity: lifecycle.severity,
      status: lifecycle.status,
      detected_at: lifecycle.detectedAt,
      updated_at: at.emittedAt,
      version: at.version,
      source_version: at.version,
    };
  }
}

/** Copy-on-write: the view's values are never mutated (the lib's scorer mutates the state it is given). */
function copySeries(stored: EntitySeries | undefined): SeriesCopy {
  const metrics: Record<string, DailyScorerState> = {};
  for (const [name, st] of Object.entries(stored?.metrics ?? {})) metrics[name] = copyScorerState(st);
  const running: Record<string, Record<string, (number | null)[]>> = {};
  for (const [d, byMetric] of Object.entries(stored?.running ?? {})) {
    const copy: Record<string, (number | null)[]> = {};
    for (const [name, hourly] of Object.entries(byMetric)) copy[name] = [...hourly];
    running[d] = copy;
  }
  return { metrics, running, hourly: { ...stored?.hourly } };
}

/** Builds a scoring processor (pure: state in, changes and outputs out). */
export function createScoringProcessor<In>(options: ScorerOptions<In>): Processor<ScorerStores, In, Anomaly> {
  const engine = new ScoringEngine(options.spec, options.params, options.hourly, options.outputTopic);
  return {
    name: options.name,
    stores: SCORER_STORES,
    outputTopics: [engine.topic],
    process(view, input): ProcessResult<ScorerStores, Anomaly> {
      const txn = new StateTxn<ScorerStores, Anomaly>(view);
      engine.process(txn, input.value);
      return txn.result();
    },
  };
}
