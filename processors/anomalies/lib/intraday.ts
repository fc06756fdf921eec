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
 *
 * Bursts (burstEvidence): the day's noise scales every hour alike, while an
 * event (a listing, an exploit, a whale) lands in a few hours. The closed
 * day's hourly shape is compared with the profile: for each window W of 1..maxHours
 * consecutive hours,
 *
 *   shareZ(W) = (C(end)/total - C(start-1)/total - (mean(end) - mean(start-1)))
 *               / max(sd(end) + sd(start-1), minShareSd)
 *
 * with C the cumulative value and mean/sd the profile's EWMA of the cumulative
 * share. sd(end) + sd(start-1) bounds the sd of a difference whatever the two
 * hours' correlation (Cauchy-Schwarz), so the test is conservative.
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

/** The burst test on a closed day's hourly shape (see the module comment). */
export interface BurstParams {
  /** Longest window tested, in consecutive hours. */
  readonly maxHours: number;
  /** shareZ a window needs to count as a burst. */
  readonly minShareZ: number;
  /** Floor on a window share's sd, as a fraction of the day: a profile learned from regular days is not exact. */
  readonly minShareSd: number;
  /** Robust z the day's total needs, with a burst, to be a spike (below the detection bound). */
  readonly minDayZ: number;
}

export interface IntradayParams {
  readonly monotone: boolean;
  readonly dropShareZ: number;
  readonly dropMinShare: number;
  /** Days of profile needed before projections (and burst tests) are trusted. */
  readonly minProfileDays: number;
  /** Burst evidence on closed days of monotone metrics; null turns it off. */
  readonly burst: BurstParams | null;
}

/**
 * minShareZ 5: a burst is as improbable under the profile as the detection bound is under the baseline.
 * minDayZ 3: the day must still be unusual on its own (3 sigma): a busy hour on an ordinary day is not a day anomaly.
 * maxHours 6: an event, not a busier quarter of the day.
 */
export const DEFAULT_BURST_PARAMS: BurstParams = { maxHours: 6, minShareZ: 5, minShareSd: 0.01, minDayZ: 3 };

export const DEFAULT_INTRADAY_PARAMS: IntradayParams = {
  monotone: true,
  dropShareZ: 2,
  dropMinShare: 0.5,
  minProfileDays: 7,
  burst: DEFAULT_BURST_PARAMS,
};

export function validateBurstParams(p: BurstParams): BurstParams {
  const ok =
    Number.isInteger(p.maxHours) &&
    p.maxHours >= 1 &&
    p.maxHours <= HOURS_PER_DAY &&
    p.minShareZ > 0 &&
    p.minShareSd > 0 &&
    Number.isFinite(p.minDayZ);
  if (!ok) throw new AnomalyParameterError('burst: maxHours in [1, 24], minShareZ > 0, minShareSd > 0, minDayZ finite', { ...p });
  return p;
}

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

/** The most surprising window of a closed day's hourly shape. */
export interface BurstEvidence {
  readonly shareZ: number;
  /** First hour of the window (0..23) and its length in hours. */
  readonly startHour: number;
  readonly hours: number;
  /** Share of the day's total in the window, and its usual share. */
  readonly share: number;
  readonly usualShare: number;
}

/**
 * Burst test of a closed day against the profile learned from the days before it (the module comment has the
 * formula). Null while the profile has fewer than `minProfileDays` days or the day is empty.
 */
export function burstEvidence(
  cumulativeByHour: readonly number[],
  profile: IntradayProfile,
  params: BurstParams,
  minProfileDays: number,
): BurstEvidence | null {
  if (cumulativeByHour.length !== HOURS_PER_DAY) {
    throw new AnomalyParameterError(`expected ${HOURS_PER_DAY} hourly values, got ${cumulativeByHour.length}`);
  }
  const total = cumulativeByHour[HOURS_PER_DAY - 1] as number;
  if (profile.days < minProfileDays || !(total > 0)) return null;
  // Cumulative share, its usual value and sd at the end of hour h; index -1 (before the day) is 0.
  const at = (h: number): [number, number, number] =>
    h < 0
      ? [0, 0, 0]
      : [
          (cumulativeByHour[h] as number) / total,
          profile.meanShare[h] as number,
          Math.sqrt(Math.max(0, profile.varShare[h] as number)),
        ];
  let best: BurstEvidence | null = null;
  for (let hours = 1; hours <= params.maxHours; hours++) {
    for (let end = hours - 1; end < HOURS_PER_DAY; end++) {
      const [cEnd, mEnd, sEnd] = at(end);
      const [cStart, mStart, sStart] = at(end - hours);
      const share = cEnd - cStart;
      const usualShare = mEnd - mStart;
      const shareZ = (share - usualShare) / Math.max(sEnd + sStart, params.minShareSd);
      if (best === null || shareZ > best.shareZ) best = { shareZ, startHour: end - hours + 1, hours, share, usualShare };
    }
  }
  return best;
}
