/**
 * Scoring a day while it runs, from its cumulative value so far.
 *
 * Spikes: for a cumulative metric (volume, transfer count, distinct
 * addresses: the value only grows during the day) a partial value already
 * above the full-day upper bound proves the day will close above it, so it is
 * flagged at once, with no more false alarms than scoring the closed day.
 *
 * Drops: a low partial value proves nothing (the rest of the day may catch
 * up), so a drop is flagged early only on a conservative projection: the
 * day's total is projected with the *smallest* plausible share of the day
 * already elapsed,
 *
 *   share_low(h) = mean share(h) - dropShareZ * sd share(h)   (learned from past days)
 *   projected    = cumulative / share_low(h)
 *
 * and a drop is flagged when even that projection is below the lower bound,
 * and only after `dropMinShare` of a typical day has elapsed. The closed day
 * confirms or clears it (status open -> final).
 *
 * Signed metrics (net flows) are not cumulative-monotone: with
 * `monotone: false` only the closed day is scored.
 */
import type { DailyBaseline, DailyBaselineParams, Direction } from './daily-baseline.ts';
import { dailyZ } from './daily-baseline.ts';
import { AnomalyParameterError } from './errors.ts';

export const HOURS_PER_DAY = 24;

/** EWMA of the cumulative share of the day's total reached at the end of each hour (plain data). */
export interface IntradayProfile {
  alpha: number;
  days: number;
  /** meanShare[h], varShare[h]: share reached after hour h + 1 (h = 0..23; the last is 1). */
  meanShare: number[];
  varShare: number[];
}

export interface IntradayParams {
  readonly monotone: boolean;
  readonly dropShareZ: number;
  readonly dropMinShare: number;
  /** Days of profile needed before projections are trusted. */
  readonly minProfileDays: number;
}

export const DEFAULT_INTRADAY_PARAMS: IntradayParams = { monotone: true, dropShareZ: 2, dropMinShare: 0.5, minProfileDays: 7 };

export function createIntradayProfile(alpha = 0.1): IntradayProfile {
  if (!(alpha > 0 && alpha <= 1)) throw new AnomalyParameterError(`profile alpha must be in (0, 1], got ${alpha}`, { alpha });
  return {
    alpha,
    days: 0,
    meanShare: new Array<number>(HOURS_PER_DAY).fill(0),
    varShare: new Array<number>(HOURS_PER_DAY).fill(0),
  };
}

/** Learns a closed day's shape from its cumulative value at the end of each hour (mutates `profile`). */
export function updateIntradayProfile(profile: IntradayProfile, cumulativeByHour: readonly number[]): IntradayProfile {
  if (cumulativeByHour.length !== HOURS_PER_DAY) {
    throw new AnomalyParameterError(`expected ${HOURS_PER_DAY} hourly values, got ${cumulativeByHour.length}`);
  }
  const total = cumulativeByHour[HOURS_PER_DAY - 1] as number;
  if (!(total > 0)) return profile; // an empty day says nothing about the shape
  profile.days += 1;
  for (let h = 0; h < HOURS_PER_DAY; h++) {
    const share = (cumulativeByHour[h] as number) / total;
    if (profile.days === 1) {
      profile.meanShare[h] = share;
      profile.varShare[h] = 0;
      continue;
    }
    const d = share - (profile.meanShare[h] as number);
    profile.meanShare[h] = (profile.meanShare[h] as number) + profile.alpha * d;
    profile.varShare[h] = (1 - profile.alpha) * ((profile.varShare[h] as number) + profile.alpha * d * d);
  }
  return profile;
}

export interface PartialVerdict {
  readonly direction: Direction | null;
  /** True when the closed day cannot end otherwise (spike on a monotone metric). */
  readonly certain: boolean;
  /** Robust z of the partial value (spike) or of the projection (drop); NaN when not scored. */
  readonly z: number;
  readonly projected: number | null;
}

const NONE: PartialVerdict = { direction: null, certain: false, z: NaN, projected: null };

/**
 * Verdict on a running day after `hoursElapsed` full hours (1..23; 24 is the
 * closed day, see scoreClosedDay).
 */
export function scorePartialDay(
  cumulative: number,
  hoursElapsed: number,
  baseline: DailyBaseline,
  profile: IntradayProfile,
  baselineParams: DailyBaselineParams,
  params: IntradayParams = DEFAULT_INTRADAY_PARAMS,
): PartialVerdict {
  if (!params.monotone) return NONE;
  if (!(Number.isInteger(hoursElapsed) && hoursElapsed >= 1 && hoursElapsed <= HOURS_PER_DAY)) {
    throw new AnomalyParameterError(`hoursElapsed must be an integer in [1, 24], got ${hoursElapsed}`, { hoursElapsed });
  }
  if (cumulative > baseline.upper) {
    return { direction: 'spike', certain: true, z: dailyZ(cumulative, baseline, baselineParams.transform), projected: null };
  }
  if (profile.days < params.minProfileDays) return NONE;
  const h = hoursElapsed - 1;
  const mean = profile.meanShare[h] as number;
  if (mean < params.dropMinShare) return NONE;
  const shareLow = Math.max(1e-9, mean - params.dropShareZ * Math.sqrt(profile.varShare[h] as number));
  const projected = cumulative / shareLow;
  if (projected < baseline.lower) {
    return { direction: 'drop', certain: false, z: dailyZ(projected, baseline, baselineParams.transform), projected };
  }
  return NONE;
}
