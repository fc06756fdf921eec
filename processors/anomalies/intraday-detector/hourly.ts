/**
 * The NAB streaming detector (detector/streaming-detector.ts) run in the stream on a token's hourly increments.
 *
 * The token scorer receives the running day's cumulative values (window updates, then the final record). This
 * module turns them into one point per UTC hour, the increment of the hour, and feeds each closed hour to the very
 * `scoreNextPoint` that scripts/eval/nab.ts evaluates, with the hourly parameter set of `anomalies.hourly`:
 *
 *  - an hour closes when the first observation of a later hour arrives (stream time), or with the day's final
 *    record; hours without any update had no activity and enter as 0 (at most `maxGapHours` of them);
 *  - the running hour's partial increment is scored on a copy of the state (nothing absorbed). A cumulative value
 *    only grows, so only an upward alarm of a partial is reported (`open`); the closed hour decides (`final`);
 *  - a retraction lowers the cumulative: the running hour's partial drops and its open alarm can clear. A deficit
 *    that reaches into closed hours is absorbed by the running hour's start (those hours were scored already).
 *
 * Cheap per record: the detector state (O(H)) is read only at an hour's close and when the running hour's partial
 * reaches `openFloor`, the smallest partial that alarms upward, found once per hour by bisection over the same
 * function. The cursor (a few numbers) is what changes on every record.
 */
import {
  cloneStreamingDetectorState,
  createStreamingDetectorState,
  scoreNextPoint,
  type DetectorOutput,
  type StreamingDetectorState,
} from '../detector/streaming-detector.ts';
import type { StreamingDetectorParams } from '../detector/params.ts';
import { medianSorted } from '../lib/descriptive.ts';
import type { SeverityThresholds } from '../lib/severity.ts';
import { DAY_MS, HOUR_MS, isoDay, isoDayStartMs } from '../../../core/time.ts';

export interface HourlyDetectorParams {
  readonly enabled: boolean;
  readonly detector: StreamingDetectorParams;
  /** Severity by detector score (in [0, 1]). */
  readonly severity: SeverityThresholds;
  /** Points of history before an anomaly may be `high` (below: at most `medium`). */
  readonly highMinHistoryHours: number;
  /** Most zero hours filled in for a gap without updates. */
  readonly maxGapHours: number;
}

/** Per (entity, metric): where the running hour stands. Plain JSON, rewritten on every record. */
export interface HourlyCursor {
  /** Start of the running hour (epoch ms). */
  readonly hourMs: number;
  /** UTC day ('YYYY-MM-DD') of the running hour; the cumulative values below are of that day. */
  readonly day: string;
  /** Cumulative value at the running hour's start. */
  readonly startCum: number;
  /** Latest cumulative value. */
  readonly cum: number;
  /** Records applied: strictly increasing, the version of the anomalies this series emits. */
  readonly seq: number;
  /** Hour for which `openFloor` was computed (null: not yet). */
  readonly floorHourMs: number | null;
  /** Smallest partial increment of that hour that alarms upward; null when none can. */
  readonly openFloor: number | null;
}

/** One observation: the day's cumulative value at stream time `atMs`, or its final total. */
export interface HourlyObservation {
  readonly day: string;
  readonly cum: number;
  readonly atMs: number;
  readonly final: boolean;
}

/** What the detector saw of a point: the point's score and the value history it was ranked against. */
export interface HourlyScore {
  readonly hourMs: number;
  readonly day: string;
  readonly value: number;
  readonly output: DetectorOutput;
  /** Points in the detector's history before this one. */
  readonly historyPoints: number;
  /** Median and range of the value history (the record scale's reference). */
  readonly center: number;
  readonly range: number;
}

export interface HourlyStep {
  readonly cursor: HourlyCursor;
  /** The detector state after the step, or null when unchanged (no hour closed). */
  readonly detector: StreamingDetectorState | null;
  /** Hours closed by this observation, in time order (zero-filled gaps included). */
  readonly closed: readonly HourlyScore[];
  /** The running hour's partial, scored without absorbing it; null when the hour was not scored. */
  readonly open: HourlyScore | null;
  /** The running hour's alarm floor (upper bound of a normal partial) after the step. */
  readonly openFloor: number | null;
}

const dayStartOf = isoDayStartMs;

/** The hour an observation belongs to: its stream time's hour, clamped into its day; a final closes the last hour. */
function hourOf(obs: HourlyObservation): number {
  const start = dayStartOf(obs.day);
  if (obs.final) return start + DAY_MS - HOUR_MS;
  const h = Math.floor(obs.atMs / HOUR_MS) * HOUR_MS;
  return Math.min(start + DAY_MS - HOUR_MS, Math.max(start, h));
}

function scorePoint(state: StreamingDetectorState, params: StreamingDetectorParams, hourMs: number, value: number): HourlyScore {
  const history = state.histories.value.sorted;
  const n = history.length;
  const center = n > 0 ? medianSorted(history) : 0;
  const range = n > 0 ? (history[n - 1] as number) - (history[0] as number) : 0;
  const output = scoreNextPoint(state, params, value, hourMs);
  return { hourMs, day: isoDay(hourMs), value, output, historyPoints: n, center, range };
}

const alarmsUp = (o: DetectorOutput, params: StreamingDetectorParams): boolean =>
  o.score >= params.alarmLevel && o.direction === 'up';

/** Score of a provisional value of the running hour, on a copy of the state. */
function peek(state: StreamingDetectorState, params: StreamingDetectorParams, hourMs: number, value: number): HourlyScore {
  return scorePoint(cloneStreamingDetectorState(state), params, hourMs, value);
}

/**
 * The smallest partial x ≥ 0 whose upward alarm the running hour would raise: doubling from the history's max,
 * then 20 bisection steps (relative precision 1e-6). Above the features' medians each feature grows with x, so
 * the alarm region is [x*, ∞); null when even a huge value does not alarm (suppression, warm-up).
 */
export function alarmFloor(state: StreamingDetectorState, params: StreamingDetectorParams, hourMs: number): number | null {
  const history = state.histories.value.sorted;
  if (state.count < params.minHistory) return null;
  let hi = Math.max(1, 2 * Math.abs(history[history.length - 1] ?? 1));
  let tries = 0;
  while (!alarmsUp(peek(state, params, hourMs, hi).output, params)) {
    if (++tries > 8) return null;
    hi *= 4;
  }
  let lo = 0;
  if (alarmsUp(peek(state, params, hourMs, lo).output, params)) return lo;
  for (let i = 0; i < 20; i++) {
    const mid = (lo + hi) / 2;
    if (alarmsUp(peek(state, params, hourMs, mid).output, params)) hi = mid;
    else lo = mid;
  }
  return hi;
}

export function createHourlyCursor(obs: HourlyObservation): HourlyCursor {
  return { hourMs: hourOf(obs), day: obs.day, startCum: 0, cum: 0, seq: 0, floorHourMs: null, openFloor: null };
}

/**
 * Applies one observation. `load` returns the detector state (read from the store only when needed); the
 * returned state must be stored when non-null. Pure apart from mutating the state `load` returned.
 */
export function stepHourly(
  cursor: HourlyCursor | undefined,
  load: () => StreamingDetectorState | undefined,
  params: HourlyDetectorParams,
  obs: HourlyObservation,
): HourlyStep | null {
  const p = params.detector;
  let c = cursor ?? createHourlyCursor(obs);
  if (obs.day < c.day) return null; // a past day (late data, a re-emitted final): the daily scorer's business
  let detector: StreamingDetectorState | null = null;
  const state = (): StreamingDetectorState => (detector ??= load() ?? createStreamingDetectorState(p));
  const closed: HourlyScore[] = [];
  const hour = hourOf(obs);
  if (hour > c.hourMs) {
    closed.push(scorePoint(state(), p, c.hourMs, Math.max(0, c.cum - c.startCum)));
    const firstGap = Math.max(c.hourMs + HOUR_MS, hour - params.maxGapHours * HOUR_MS);
    for (let t = firstGap; t < hour; t += HOUR_MS) closed.push(scorePoint(state(), p, t, 0));
    const sameDay = obs.day === c.day;
    c = { ...c, hourMs: hour, day: obs.day, startCum: sameDay ? c.cum : 0, cum: sameDay ? c.cum : 0, floorHourMs: null };
  }
  // A retraction reaching into closed hours: they were scored; the running hour starts from the lower total.
  c = { ...c, cum: obs.cum, startCum: Math.min(c.startCum, obs.cum), seq: c.seq + 1 };

  if (obs.final) {
    // The day is over: its last hour closes now, the next day starts from zero.
    closed.push(scorePoint(state(), p, c.hourMs, Math.max(0, c.cum - c.startCum)));
    const next = c.hourMs + HOUR_MS;
    c = { ...c, hourMs: next, day: isoDay(next), startCum: 0, cum: 0, floorHourMs: null, openFloor: null };
    return { cursor: c, detector, closed, open: null, openFloor: null };
  }

  if (c.floorHourMs !== c.hourMs) c = { ...c, floorHourMs: c.hourMs, openFloor: alarmFloor(state(), p, c.hourMs) };
  const partial = Math.max(0, c.cum - c.startCum);
  const open = c.openFloor !== null && partial >= c.openFloor ? peek(state(), p, c.hourMs, partial) : null;
  return { cursor: c, detector: closed.length > 0 ? detector : null, closed, open, openFloor: c.openFloor };
}
