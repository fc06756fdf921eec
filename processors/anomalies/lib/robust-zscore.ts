/**
 * Robust z-score (median / MAD), batch and over a sliding window.
 *
 *   rz(x) = (x - median) / (1.4826 * MAD),   MAD = median_i |b_i - median(b)|
 *
 * 1.4826 = 1 / Phi^-1(3/4) makes 1.4826 * MAD a consistent estimator of the
 * standard deviation for Gaussian data, so rz reads on the same scale as z
 * while a few outliers in the baseline cannot inflate the spread.
 * When more than half the baseline is one value (MAD = 0, common for counts),
 * the spread falls back to 1.2533 * meanAD (mean absolute deviation around the
 * median; 1.2533 = sqrt(pi/2) is its Gaussian consistency constant), as in the
 * IBM/Iglewicz-Hoaglin "modified z-score"; a truly flat baseline then follows
 * the zero-spread convention of `standardize`.
 */
import { compensatedSum, medianAbsoluteDeviationSorted, medianSorted, sortedCopy } from './descriptive.ts';
import type { SlidingWindowState } from './sliding-window.ts';
import { standardize, type SpreadOptions } from './zscore.ts';

export const MAD_CONSISTENCY = 1.4826;
export const MEAN_AD_CONSISTENCY = 1.2533;

export interface RobustBaseline {
  readonly center: number;
  /** Estimated standard deviation: 1.4826 * MAD, or 1.2533 * meanAD when MAD = 0. */
  readonly spread: number;
}

/** Median and robust spread of an ascending-sorted sample. */
export function robustBaselineSorted(sorted: readonly number[]): RobustBaseline {
  const center = medianSorted(sorted);
  const mad = medianAbsoluteDeviationSorted(sorted);
  if (mad > 0) return { center, spread: MAD_CONSISTENCY * mad };
  const meanAd = compensatedSum(sorted.map((x) => Math.abs(x - center))) / sorted.length;
  return { center, spread: MEAN_AD_CONSISTENCY * meanAd };
}

export function robustBaseline(values: readonly number[]): RobustBaseline {
  return robustBaselineSorted(sortedCopy(values));
}

/** Robust z-score of x against a baseline sample (the sample does not include x). */
export function robustZscore(x: number, baseline: readonly number[], options: SpreadOptions = {}): number {
  const { center, spread } = robustBaseline(baseline);
  return standardize(x, center, spread, options);
}

/** Robust z-score of x against the current window content; equals robustZscore(x, window.values). */
export function robustZscoreOnline(window: SlidingWindowState, x: number, options: SpreadOptions = {}): number {
  const { center, spread } = robustBaselineSorted(window.sorted);
  return standardize(x, center, spread, options);
}
