/**
 * Classic z-score, batch and online (Welford).
 *
 *   z(x) = (x - mean) / std,   std = population standard deviation of the baseline
 *
 * A zero spread gives z = 0 when x equals the mean and +/-Infinity otherwise:
 * a value leaving a perfectly flat baseline is as anomalous as it gets, and
 * callers that want a finite score pass `minSpread` (a floor on std).
 */
import { mean, standardDeviation } from './descriptive.ts';

export interface SpreadOptions {
  /** Lower bound on the spread used as denominator (default 0). */
  readonly minSpread?: number;
}

/** (x - center) / spread with the zero-spread convention described in the module doc. */
export function standardize(x: number, center: number, spread: number, options: SpreadOptions = {}): number {
  const s = Math.max(spread, options.minSpread ?? 0);
  const d = x - center;
  if (s > 0) return d / s;
  return d === 0 ? 0 : d > 0 ? Infinity : -Infinity;
}

/** z-score of x against a baseline sample (the sample does not include x). */
export function zscore(x: number, baseline: readonly number[], options: SpreadOptions = {}): number {
  return standardize(x, mean(baseline), standardDeviation(baseline), options);
}

/**
 * Running moments (Welford): plain data, so it can be persisted as JSON.
 *   n_k = n_{k-1} + 1,  d = x - mean_{k-1},  mean_k = mean_{k-1} + d / n_k,
 *   m2_k = m2_{k-1} + d * (x - mean_k),      var_k = m2_k / n_k
 */
export interface WelfordState {
  count: number;
  mean: number;
  m2: number;
}

export function createWelfordState(): WelfordState {
  return { count: 0, mean: 0, m2: 0 };
}

/** Adds x to the running moments (mutates and returns `state`). */
export function updateWelford(state: WelfordState, x: number): WelfordState {
  state.count += 1;
  const d = x - state.mean;
  state.mean += d / state.count;
  state.m2 += d * (x - state.mean);
  return state;
}

/** Population variance of everything added so far (NaN before the first value). */
export function welfordVariance(state: WelfordState): number {
  return state.count === 0 ? NaN : Math.max(0, state.m2) / state.count;
}

/** z-score of x against the values added so far; same value as zscore(x, thoseValues). */
export function zscoreOnline(state: WelfordState, x: number, options: SpreadOptions = {}): number {
  return standardize(x, state.mean, Math.sqrt(welfordVariance(state)), options);
}
