/**
 * Daily baseline of a metric from its last N final days, with day-of-week
 * effects, and the verdict on a closed day.
 *
 * Values are compared on a transformed scale y = T(x) (log1p for volumes and
 * counts: multiplicative noise and weekly factors become additive). With the
 * last N final days before the scored day (N = historyDays):
 *
 *   pred(d)  = median of y over the history days with weekday d
 *              (all history days if fewer than 2 share d, or dayOfWeek off)
 *   center   = pred(weekday of the scored day)
 *   e_i      = y_i - pred computed without day i          (leave-one-out prediction errors)
 *   spread   = max(1.4826 * MAD(e) [1.2533 * meanAD(e) when MAD = 0], minSpread)
 *   z(x)     = (T(x) - center) / spread                    (robust z of the day)
 *   bounds   = T^-1(center -/+ boundZ * spread)
 *
 * The spread comes from leave-one-out errors on purpose: a weekday median of
 * 8 or 9 days is itself noisy, and residuals against a median that saw the
 * day shrink towards it (measured on the injected-anomaly data during
 * development: in-sample residuals gave 605 false positives at z = 5, these 204).
 *
 * No baseline (null) before minHistoryDays final days exist: a new token is
 * not scored on two days of history.
 */
import { lowerBound, median, medianSorted, sortedCopy } from './descriptive.ts';
import { AnomalyParameterError } from './errors.ts';
import { robustBaseline } from './robust-zscore.ts';
import { addDays, DAY_MS, isoDayStartMs } from '../../../core/time.ts';
import { weeklyTrendSlope } from './weekly-trend.ts';
import { standardize } from './zscore.ts';

export type ValueTransform = 'log1p' | 'identity';

export interface DailyBaselineParams {
  /** Final days the baseline is computed from (N, default 60). */
  readonly historyDays: number;
  /** Final days needed before any score (default 14). */
  readonly minHistoryDays: number;
  /** Bounds at center -/+ boundZ * spread (robust z units). */
  readonly boundZ: number;
  /** Predict each day from the same weekday (median of those days) instead of all days. */
  readonly dayOfWeek: boolean;
  readonly transform: ValueTransform;
  /** Floor on the spread, in transformed units (a constant history must not give infinite scores). */
  readonly minSpread: number;
  /**
   * Calendar days from an entity's first final day that never enter its baseline. A launch (deployment, mint
   * distribution) or the first, partial day of a backfill is not a typical day: kept in, it becomes one of the two
   * or three days of its weekday's median and sets the center of the first scored days.
   */
  readonly launchDays: number;
  /**
   * A zero is "no flow that day" rather than a small flow: it is neither scored nor kept in the baseline. For an
   * address's inflow or outflow, which is zero whenever the pair only moved the other way, a zero against a
   * log-scale baseline of its flowing days would be a drop of z 15-20 on any sparse address.
   */
  readonly ignoreZeros: boolean;
  /**
   * Final days of history from which the series' trend is removed before the medians (weekly-trend.ts); 0 never.
   * Below it the history is too short to tell a trend from noise.
   */
  readonly trendMinDays: number;
}

export const DEFAULT_DAILY_BASELINE_PARAMS: DailyBaselineParams = {
  historyDays: 60,
  minHistoryDays: 14,
  boundZ: 5,
  dayOfWeek: true,
  transform: 'log1p',
  minSpread: 0.05,
  launchDays: 1,
  ignoreZeros: false,
  trendMinDays: 0,
};

export interface DailyPoint {
  /** UTC day, YYYY-MM-DD. */
  readonly day: string;
  readonly value: number;
}

export interface DailyBaseline {
  readonly day: string;
  /** Center and spread on the transformed scale. */
  readonly center: number;
  readonly spread: number;
  readonly dayOfWeekOffset: number;
  /** Bounds on the original scale. */
  readonly lower: number;
  readonly upper: number;
  readonly historyDays: number;
}

export type Direction = 'spike' | 'drop';

export interface DayVerdict {
  readonly z: number;
  readonly direction: Direction | null;
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

export function dayOfWeek(day: string): number {
  if (!DAY_RE.test(day)) throw new AnomalyParameterError(`day must be YYYY-MM-DD, got ${day}`, { day });
  const ms = Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)));
  return new Date(ms).getUTCDay();
}

export function transformValue(x: number, transform: ValueTransform): number {
  if (transform === 'identity') return x;
  // log1p of a negative volume is meaningless; volumes and counts are >= 0.
  return Math.log1p(Math.max(0, x));
}

export function inverseTransform(y: number, transform: ValueTransform): number {
  return transform === 'identity' ? y : Math.expm1(y);
}

export function validateDailyBaselineParams(p: DailyBaselineParams): DailyBaselineParams {
  if (!(Number.isInteger(p.historyDays) && p.historyDays >= 1 && Number.isInteger(p.minHistoryDays) && p.minHistoryDays >= 1)) {
    throw new AnomalyParameterError('historyDays and minHistoryDays must be positive integers', { ...p });
  }
  if (p.minHistoryDays > p.historyDays) throw new AnomalyParameterError('minHistoryDays must be <= historyDays', { ...p });
  if (!(p.boundZ > 0) || !(p.minSpread >= 0)) throw new AnomalyParameterError('boundZ must be > 0 and minSpread >= 0', { ...p });
  if (!(Number.isInteger(p.trendMinDays) && p.trendMinDays >= 0))
    throw new AnomalyParameterError('trendMinDays must be an integer >= 0', { ...p });
  if (!(Number.isInteger(p.launchDays) && p.launchDays >= 0))
    throw new AnomalyParameterError('launchDays must be an integer >= 0', { ...p });
  return p;
}

/**
 * Baseline for `day` from final days strictly before it (the caller's list may
 * hold more; the last historyDays before `day` are used). Days before
 * firstDay + launchDays (the entity's launch) are left out. Null while fewer
 * than minHistoryDays are available.
 */
export function dailyBaseline(
  finalDays: readonly DailyPoint[],
  day: string,
  params: DailyBaselineParams,
  firstDay: string | null = null,
): DailyBaseline | null {
  validateDailyBaselineParams(params);
  const settled = firstDay === null ? '' : addDays(firstDay, params.launchDays);
  const history = finalDays
    .filter((p) => p.day < day && p.day >= settled && !(params.ignoreZeros && p.value === 0))
    .slice(-params.historyDays);
  if (history.length < params.minHistoryDays) return null;
  const dows = history.map((p) => dayOfWeek(p.day));
  const ys = detrended(history, day, params);
  const targetDow = dayOfWeek(day);
  // Sorted once: all values and each weekday's values. A leave-one-out median is then O(log n) (medianWithout),
  // so the baseline costs O(n log n) instead of sorting n times.
  const sortedAll = sortedCopy(ys);
  const byWeekday = Array.from({ length: 7 }, (_, d) => sortedCopy(ys.filter((_, i) => dows[i] === d)));
  // Each prediction is a median of `m` days; a new day differs from it with variance ~ sigma^2 * (1 + 1/m) for
  // m <= 2 (the median of 2 is their mean), ~ sigma^2 * (1 + pi/(2m)) beyond. Errors of held-out days are scaled
  // to sigma by their own m, and the spread back to the error of the scored day's prediction: a held-out day's
  // prediction has one day fewer, which otherwise inflates the spread of a short history by up to sqrt(2).
  const predict = (weekday: number, skip: number): { value: number; m: number } => {
    const skipped = skip >= 0 ? (ys[skip] as number) : undefined;
    const group = params.dayOfWeek ? (byWeekday[weekday] as number[]) : [];
    const sameCount = group.length - (skipped !== undefined && dows[skip] === weekday ? 1 : 0);
    // A held-out day (skip >= 0) is predicted from its weekday as soon as one other such day exists: the center
    // of a weekday with two days is their median, and predicting their errors from the overall median instead
    // would put the weekday effect itself (quiet weekends) into the spread of a short history.
    if (sameCount >= (skip >= 0 ? 1 : 2))
      return { value: medianWithout(group, dows[skip] === weekday ? skipped : undefined), m: sameCount };
    return { value: medianWithout(sortedAll, skipped), m: sortedAll.length - (skipped === undefined ? 0 : 1) };
  };
  const overall = medianSorted(sortedAll);
  const target = predict(targetDow, -1);
  const center = target.value;
  const errors = ys.map((y, i) => {
    const p = predict(dows[i] as number, i);
    return (y - p.value) / predictionErrorScale(p.m);
  });
  const spread = Math.max(robustBaseline(errors).spread * predictionErrorScale(target.m), params.minSpread);
  return {
    day,
    center,
    spread,
    dayOfWeekOffset: center - overall,
    lower: Math.max(
      params.transform === 'log1p' ? 0 : -Infinity,
      inverseTransform(center - params.boundZ * spread, params.transform),
    ),
    upper: inverseTransform(center + params.boundZ * spread, params.transform),
    historyDays: history.length,
  };
}

/**
 * The history's transformed values, each moved along the series' trend to the scored day (so the medians estimate
 * today's level); the values themselves while the history is shorter than trendMinDays.
 */
function detrended(history: readonly DailyPoint[], day: string, params: DailyBaselineParams): number[] {
  const ys = history.map((p) => transformValue(p.value, params.transform));
  if (params.trendMinDays <= 0 || history.length < params.trendMinDays) return ys;
  const dayMs = isoDayStartMs(day);
  const ages = history.map((p) => Math.round((dayMs - isoDayStartMs(p.day)) / DAY_MS));
  const slope = weeklyTrendSlope(ys, ages);
  return slope === 0 ? ys : ys.map((y, i) => y + slope * (ages[i] as number));
}

/** sqrt of the variance factor of (new day - median of m days) for roughly Gaussian days, in units of sigma. */
export function predictionErrorScale(m: number): number {
  return Math.sqrt(1 + (m <= 2 ? 1 : Math.PI / 2) / Math.max(1, m));
}

/**
 * Median of an ascending-sorted sample with one occurrence of `skip` left out (the whole sample when undefined),
 * without copying: indices of the reduced sample map onto the original around the removed position. Same
 * arithmetic as quantileSorted(·, 0.5), so the result is bit-identical to the median of the reduced copy.
 */
export function medianWithout(sorted: readonly number[], skip: number | undefined): number {
  if (skip === undefined) return medianSorted(sorted);
  const removed = lowerBound(sorted, skip);
  const m = sorted.length - 1;
  if (m < 1) return median([]);
  const at = (j: number): number => sorted[j < removed ? j : j + 1] as number;
  const h = (m - 1) * 0.5;
  const lo = Math.floor(h);
  const below = at(lo);
  const above = at(Math.min(lo + 1, m - 1));
  return below + (h - lo) * (above - below);
}

/** Robust z of a value against the baseline, on the transformed scale. */
export function dailyZ(value: number, baseline: DailyBaseline, transform: ValueTransform): number {
  return standardize(transformValue(value, transform), baseline.center, baseline.spread);
}

/** Verdict on a closed (final) day: outside the bounds is a spike or a drop. */
export function scoreClosedDay(value: number, baseline: DailyBaseline, params: DailyBaselineParams): DayVerdict {
  const z = dailyZ(value, baseline, params.transform);
  const direction = value > baseline.upper ? 'spike' : value < baseline.lower ? 'drop' : null;
  return { z, direction };
}
