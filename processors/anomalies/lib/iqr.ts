/**
 * Tukey fences from the interquartile range.
 *
 *   Q1 = quantile(0.25), Q3 = quantile(0.75) (type 7 interpolation), IQR = Q3 - Q1
 *   lower = Q1 - k * IQR,   upper = Q3 + k * IQR      (k = 1.5 "outlier", 3 "far out")
 */
import { quantileSorted, sortedCopy } from './descriptive.ts';
import { AnomalyParameterError } from './errors.ts';
import type { SlidingWindowState } from './sliding-window.ts';

export interface IqrBounds {
  readonly q1: number;
  readonly q3: number;
  readonly iqr: number;
  readonly lower: number;
  readonly upper: number;
}

export function iqrBoundsSorted(sorted: readonly number[], k: number): IqrBounds {
  if (!(k >= 0)) throw new AnomalyParameterError(`IQR multiplier k must be >= 0, got ${k}`, { k });
  const q1 = quantileSorted(sorted, 0.25);
  const q3 = quantileSorted(sorted, 0.75);
  const iqr = q3 - q1;
  return { q1, q3, iqr, lower: q1 - k * iqr, upper: q3 + k * iqr };
}

export function iqrBounds(values: readonly number[], k: number): IqrBounds {
  return iqrBoundsSorted(sortedCopy(values), k);
}

/** Fences of the current window content; equals iqrBounds(window.values, k). */
export function iqrBoundsOnline(window: SlidingWindowState, k: number): IqrBounds {
  return iqrBoundsSorted(window.sorted, k);
}
