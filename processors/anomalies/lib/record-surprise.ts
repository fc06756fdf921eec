/**
 * Record surprise: how extreme a value is against a history, on a [0, 1] scale
 * that is free of the series' distribution (rank-based, so it needs no
 * Gaussian assumption and is comparable across series).
 *
 * With n history values and c = min(#{h >= y}, #{h <= y}) (the count on the
 * value's more extreme side):
 *
 *   c > 0:   s = 0.9 * ln((n + 1) / (c + 1)) / ln(n + 1)          in [0, 0.9)
 *   c = 0:   s = 0.9 + 0.1 * e / (e + tau),                        in [0.9, 1)
 *            e = (y - max h) / (max h - min h)  (or (min h - y) / range below)
 *
 * i.e. the conformal p-value (c + 1) / (n + 1) on a log scale while y is
 * inside the history, and, once y breaks the record, the size of the break
 * relative to the history's range. A flat history (range 0) makes any other
 * value an infinite break (s -> 1) and the same value a break of 0.
 */
import { lowerBound, upperBound } from './descriptive.ts';
import { AnomalyParameterError } from './errors.ts';

/** Share of the scale kept for records (scores in [RECORD_FLOOR, 1)). */
export const RECORD_FLOOR = 0.9;
export const DEFAULT_RECORD_TAU = 0.05;

export function recordSurprise(sorted: readonly number[], y: number, tau = DEFAULT_RECORD_TAU): number {
  if (!(tau > 0)) throw new AnomalyParameterError(`record tau must be > 0, got ${tau}`, { tau });
  const n = sorted.length;
  if (n === 0) return 0;
  const above = n - lowerBound(sorted, y);
  const below = upperBound(sorted, y);
  const c = Math.min(above, below);
  if (c > 0) return (RECORD_FLOOR * Math.log((n + 1) / (c + 1))) / Math.log(n + 1);
  const min = sorted[0] as number;
  const max = sorted[n - 1] as number;
  const beyond = above === 0 ? y - max : min - y;
  const range = max - min;
  const e = range > 0 ? beyond / range : beyond > 0 ? Infinity : 0;
  return e === Infinity ? 1 : RECORD_FLOOR + (1 - RECORD_FLOOR) * (e / (e + tau));
}
