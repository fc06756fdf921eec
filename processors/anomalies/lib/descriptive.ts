/**
 * Descriptive statistics over a batch of values. Every function is pure and
 * throws an EmptySampleError on an empty sample rather than returning NaN, so a
 * missing baseline is a visible condition, not a silent NaN downstream.
 */
import { AnomalyParameterError, EmptySampleError } from './errors.ts';

function requireNonEmpty(values: readonly number[], what: string): void {
  if (values.length === 0) throw new EmptySampleError(what);
}

/** Arithmetic mean: mean(x) = (1/n) * sum_i x_i. Neumaier-compensated so long windows stay exact to ~1 ulp. */
export function mean(values: readonly number[]): number {
  requireNonEmpty(values, 'mean');
  return compensatedSum(values) / values.length;
}

/** Neumaier (improved Kahan) summation: error independent of n, unlike a plain loop. */
export function compensatedSum(values: readonly number[]): number {
  let sum = 0;
  let compensation = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    const t = sum + x;
    compensation += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
    sum = t;
  }
  return sum + compensation;
}

/**
 * Population variance: var(x) = (1/n) * sum_i (x_i - mean)^2 (two-pass, so no
 * catastrophic cancellation). Population rather than sample (n-1) because the
 * baseline *is* the reference population the new point is compared with.
 */
export function variance(values: readonly number[]): number {
  const m = mean(values);
  return compensatedSum(values.map((x) => (x - m) * (x - m))) / values.length;
}

/** Population standard deviation: sqrt(var(x)). */
export function standardDeviation(values: readonly number[]): number {
  return Math.sqrt(variance(values));
}

/** Ascending copy of the values (the input is never reordered). */
export function sortedCopy(values: readonly number[]): number[] {
  return Array.from(values).sort((a, b) => a - b);
}

/**
 * Quantile of an ascending-sorted sample with linear interpolation between
 * order statistics (Hyndman & Fan type 7, numpy's and R's default):
 * h = (n - 1) * p, Q(p) = x_floor(h) + (h - floor(h)) * (x_floor(h)+1 - x_floor(h)).
 */
export function quantileSorted(sorted: readonly number[], p: number): number {
  requireNonEmpty(sorted, 'quantile');
  if (!(p >= 0 && p <= 1)) throw new AnomalyParameterError(`quantile p must be in [0, 1], got ${p}`, { p });
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const below = sorted[lo] as number;
  const above = sorted[Math.min(lo + 1, sorted.length - 1)] as number;
  return below + (h - lo) * (above - below);
}

/** Quantile of an unsorted sample (type 7, see quantileSorted). */
export function quantile(values: readonly number[], p: number): number {
  requireNonEmpty(values, 'quantile');
  return quantileSorted(sortedCopy(values), p);
}

/** Median: the middle order statistic, or the mean of the two middle ones for even n. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Median of an ascending-sorted sample, O(1). */
export function medianSorted(sorted: readonly number[]): number {
  return quantileSorted(sorted, 0.5);
}

/**
 * Median absolute deviation of an ascending-sorted sample around its median,
 * MAD = median_i |x_i - median(x)|, in O(n) without sorting again: the
 * deviations left of the median, read right-to-left, and those right of it,
 * read left-to-right, are two ascending runs; merging them up to the middle
 * rank gives the median deviation.
 */
export function medianAbsoluteDeviationSorted(sorted: readonly number[]): number {
  const n = sorted.length;
  requireNonEmpty(sorted, 'median absolute deviation');
  const m = medianSorted(sorted);
  // First index whose value is >= m splits the two runs.
  let right = lowerBound(sorted, m);
  let left = right - 1;
  const lowRank = Math.floor((n - 1) / 2);
  const highRank = Math.ceil((n - 1) / 2);
  let lowValue = 0;
  for (let rank = 0; rank <= highRank; rank++) {
    const dl = left >= 0 ? m - (sorted[left] as number) : Infinity;
    const dr = right < n ? (sorted[right] as number) - m : Infinity;
    let d: number;
    if (dl <= dr) {
      d = dl;
      left--;
    } else {
      d = dr;
      right++;
    }
    if (rank === lowRank) lowValue = d;
    if (rank === highRank) return (lowValue + d) / 2;
  }
  /* c8 ignore next */
  throw new Error('unreachable: MAD merge ended early');
}

/** MAD of an unsorted sample (see medianAbsoluteDeviationSorted). */
export function medianAbsoluteDeviation(values: readonly number[]): number {
  return medianAbsoluteDeviationSorted(sortedCopy(values));
}

/** First index i with sorted[i] >= x (binary search), sorted.length if none. */
export function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index i with sorted[i] > x (binary search), sorted.length if none. */
export function upperBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
