/**
 * Exponentially weighted moving mean and variance (West 1979 / Finch 2009).
 *
 *   first point:  m_1 = x_1,  v_1 = 0
 *   then:         d = x_t - m_{t-1}
 *                 m_t = m_{t-1} + alpha * d                  (= alpha x_t + (1 - alpha) m_{t-1})
 *                 v_t = (1 - alpha) * (v_{t-1} + alpha * d^2)
 *
 * alpha in (0, 1]; the effective memory is about 2 / alpha - 1 points
 * (span), i.e. alpha = 2 / (span + 1). The residual score of a new point is
 * taken against the state *before* it is absorbed:
 *
 *   ewmaZ(x_t) = (x_t - m_{t-1}) / sqrt(v_{t-1})
 */
import { compensatedSum } from './descriptive.ts';
import { AnomalyParameterError, EmptySampleError } from './errors.ts';
import { standardize, type SpreadOptions } from './zscore.ts';

export interface EwmaState {
  alpha: number;
  count: number;
  mean: number;
  variance: number;
}

export interface EwmaPoint {
  readonly mean: number;
  readonly variance: number;
}

/** alpha for a given span (number of points of memory): alpha = 2 / (span + 1). */
export function alphaFromSpan(span: number): number {
  if (!(span >= 1)) throw new AnomalyParameterError(`EWMA span must be >= 1, got ${span}`, { span });
  return 2 / (span + 1);
}

export function createEwmaState(alpha: number): EwmaState {
  if (!(alpha > 0 && alpha <= 1)) throw new AnomalyParameterError(`EWMA alpha must be in (0, 1], got ${alpha}`, { alpha });
  return { alpha, count: 0, mean: 0, variance: 0 };
}

/** Absorbs x (mutates and returns `state`). */
export function updateEwma(state: EwmaState, x: number): EwmaState {
  state.count += 1;
  if (state.count === 1) {
    state.mean = x;
    state.variance = 0;
    return state;
  }
  const d = x - state.mean;
  state.mean += state.alpha * d;
  state.variance = (1 - state.alpha) * (state.variance + state.alpha * d * d);
  return state;
}

/** Residual z-score of x against the state before x (NaN before any point). */
export function ewmaZscore(state: EwmaState, x: number, options: SpreadOptions = {}): number {
  if (state.count === 0) return NaN;
  return standardize(x, state.mean, Math.sqrt(state.variance), options);
}

/**
 * Batch form, computed independently of the recursion: the EWMA after x_1..x_n
 * is the weighted mean and weighted population variance with weights
 * w_1 = (1 - alpha)^(n-1), w_j = alpha (1 - alpha)^(n-j) for j >= 2 (they sum to 1):
 *
 *   m_n = sum_j w_j x_j,   v_n = sum_j w_j (x_j - m_n)^2
 *
 * which is what the recursion of updateEwma evaluates in O(1) per point.
 */
export function ewma(values: readonly number[], alpha: number): EwmaPoint {
  createEwmaState(alpha); // validates alpha
  const n = values.length;
  if (n === 0) throw new EmptySampleError('EWMA');
  const weights = values.map((_, i) => (i === 0 ? (1 - alpha) ** (n - 1) : alpha * (1 - alpha) ** (n - 1 - i)));
  const m = compensatedSum(values.map((x, i) => (weights[i] as number) * x));
  const v = compensatedSum(values.map((x, i) => (weights[i] as number) * (x - m) * (x - m)));
  return { mean: m, variance: v };
}
