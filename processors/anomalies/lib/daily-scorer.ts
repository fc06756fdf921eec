/**
 * Per-entity, per-metric daily scorer for the stream: the state (last N final
 * days and the intraday profile) is plain data, bounded by historyDays + 48
 * numbers, ready to be stored in LMDB. Each window update of the running day
 * is scored with scorePartialDay (status `open`); the final record re-scores
 * the closed day (status `final`) and only then enters the baseline.
 */
import {
  dailyBaseline,
  DEFAULT_DAILY_BASELINE_PARAMS,
  scoreClosedDay,
  validateDailyBaselineParams,
  type DailyBaseline,
  type DailyBaselineParams,
  type DailyPoint,
  type Direction,
} from './daily-baseline.ts';
import {
  burstEvidence,
  createIntradayProfile,
  DEFAULT_INTRADAY_PARAMS,
  HOURS_PER_DAY,
  scorePartialDay,
  updateIntradayProfile,
  validateBurstParams,
  type BurstEvidence,
  type IntradayParams,
  type IntradayProfile,
} from './intraday.ts';

export interface DailyScorerParams {
  readonly baseline: DailyBaselineParams;
  readonly intraday: IntradayParams;
  /** EWMA weight of the intraday profile. */
  readonly profileAlpha: number;
}

export const DEFAULT_DAILY_SCORER_PARAMS: DailyScorerParams = {
  baseline: DEFAULT_DAILY_BASELINE_PARAMS,
  intraday: DEFAULT_INTRADAY_PARAMS,
  profileAlpha: 0.1,
};

export interface DailyScorerState {
  /** Last historyDays final days, oldest first. */
  finalDays: DailyPoint[];
  profile: IntradayProfile;
  /** Baseline of the running day, computed once per day (history only changes when a day closes). */
  cached: DailyBaseline | null;
  /**
   * The entity's first final day (its launch, as far as the scorer knows), whose first `launchDays` stay out of
   * the baseline. Absent in states written before it existed: then the oldest kept day counts when the history is
   * not full yet (nothing was trimmed, so it is the first day), otherwise the launch is long gone.
   */
  firstDay?: string | null;
}

export type DayStatus = 'open' | 'final';

export interface DayScore {
  readonly day: string;
  readonly status: DayStatus;
  readonly value: number;
  /** Null before minHistoryDays final days. */
  readonly baseline: DailyBaseline | null;
  readonly direction: Direction | null;
  readonly z: number;
  /** Spikes on cumulative metrics are certain as soon as they are flagged; projected drops are not. */
  readonly certain: boolean;
  /**
   * Closed days: the burst that made a day with robust z in [burst.minDayZ, boundZ) a spike (its z is then reported
   * at boundZ, the detection bound). Null otherwise.
   */
  readonly burst: BurstEvidence | null;
}

export function createDailyScorerState(params: DailyScorerParams = DEFAULT_DAILY_SCORER_PARAMS): DailyScorerState {
  validateDailyBaselineParams(params.baseline);
  if (params.intraday.burst !== null) validateBurstParams(params.intraday.burst);
  return { finalDays: [], profile: createIntradayProfile(params.profileAlpha), cached: null, firstDay: null };
}

function firstDayOf(state: DailyScorerState, params: DailyScorerParams): string | null {
  if (state.firstDay !== undefined) return state.firstDay;
  return state.finalDays.length < params.baseline.historyDays ? (state.finalDays[0]?.day ?? null) : null;
}

function baselineFor(state: DailyScorerState, day: string, params: DailyScorerParams): DailyBaseline | null {
  if (state.cached?.day === day) return state.cached;
  const baseline = dailyBaseline(state.finalDays, day, params.baseline, firstDayOf(state, params));
  state.cached = baseline;
  return baseline;
}

/** Scores a window update of the running day (only the baseline cache of `state` changes). */
export function scoreDayUpdate(
  state: DailyScorerState,
  day: string,
  cumulative: number,
  hoursElapsed: number,
  params: DailyScorerParams = DEFAULT_DAILY_SCORER_PARAMS,
): DayScore {
  const baseline = baselineFor(state, day, params);
  if (baseline === null || (params.baseline.ignoreZeros && cumulative === 0))
    return { day, status: 'open', value: cumulative, baseline, direction: null, z: NaN, certain: false, burst: null };
  const v = scorePartialDay(cumulative, hoursElapsed, baseline, state.profile, params.baseline, params.intraday);
  return { day, status: 'open', value: cumulative, baseline, direction: v.direction, z: v.z, certain: v.certain, burst: null };
}

/**
 * Scores the closed day, then adds it to the baseline and, when its hourly
 * cumulative values are known, to the intraday profile (mutates `state`).
 * A re-sent final record for a day already recorded replaces it.
 */
export function closeDay(
  state: DailyScorerState,
  day: string,
  total: number,
  cumulativeByHour: readonly number[] | null,
  params: DailyScorerParams = DEFAULT_DAILY_SCORER_PARAMS,
): DayScore {
  const baseline = baselineFor(state, day, params);
  const ignored = params.baseline.ignoreZeros && total === 0;
  const closed = baseline === null || ignored ? { z: NaN, direction: null } : scoreClosedDay(total, baseline, params.baseline);
  // Before this day enters the profile: the burst is judged against the days before it.
  const verdict = withBurst(closed, cumulativeByHour, state.profile, params);
  state.cached = null;
  const first = firstDayOf(state, params);
  state.firstDay = first === null && state.finalDays.length === 0 ? day : first !== null && day < first ? day : first;
  state.finalDays = state.finalDays.filter((p) => p.day !== day);
  if (!ignored) state.finalDays.push({ day, value: total });
  state.finalDays.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  if (state.finalDays.length > params.baseline.historyDays)
    state.finalDays.splice(0, state.finalDays.length - params.baseline.historyDays);
  if (cumulativeByHour !== null && cumulativeByHour.length === HOURS_PER_DAY)
    updateIntradayProfile(state.profile, cumulativeByHour);
  return {
    day,
    status: 'final',
    value: total,
    baseline,
    direction: verdict.direction,
    z: verdict.z,
    certain: verdict.direction !== null,
    burst: verdict.burst,
  };
}

/**
 * A closed day below the detection bound but at least burst.minDayZ above its center is a spike when its hourly
 * shape holds a burst (shareZ >= burst.minShareZ). Two independent pieces of evidence: the day's noise scales every
 * hour alike, so under normal days the share test and the day's z rarely agree; an event of a few hours moves both.
 * Its z is reported at boundZ (severity `low` by default): the total alone is not beyond the bound.
 */
function withBurst(
  closed: { z: number; direction: Direction | null },
  cumulativeByHour: readonly number[] | null,
  profile: IntradayProfile,
  params: DailyScorerParams,
): { z: number; direction: Direction | null; burst: BurstEvidence | null } {
  const b = params.intraday.burst;
  const none = { ...closed, burst: null };
  if (closed.direction !== null || b === null || !params.intraday.monotone || !(closed.z >= b.minDayZ)) return none;
  if (cumulativeByHour === null || cumulativeByHour.length !== HOURS_PER_DAY) return none;
  const burst = burstEvidence(cumulativeByHour, profile, b, params.intraday.minProfileDays);
  if (burst === null || burst.shareZ < b.minShareZ) return none;
  return { z: Math.max(closed.z, params.baseline.boundZ), direction: 'spike', burst };
}
