/**
 * Seasonal residual for the streaming detector: the value minus the value at
 * the same phase one season earlier (e.g. 1 day and 7 days back), smoothed
 * over the last `smoothing` points:
 *
 *   r_t = x_t - x_{t - L*},   residual_t = mean(r_{t-m+1..t})
 *
 * L* is the lag whose EWMA absolute error |x_t - x_{t-L}| is lowest so far
 * (the season that explains the series best). The residual is only trusted
 * ("gate open") when that error is below `gate` times the EWMA of
 * |x_t - level_t| (level = median of the value history): the seasonal naive
 * forecast must beat the flat forecast clearly, otherwise (noise, no season)
 * it would only add false alarms.
 *
 * Points are matched by exact timestamp (t - L present in the kept history);
 * only the last max(L) of points are kept, so state is bounded by the number
 * of points per longest season.
 */
export interface SeasonalParams {
  /** Candidate season lengths in ms (e.g. 1 day, 7 days). */
  readonly lagsMs: readonly number[];
  /** Points averaged into the residual (m). */
  readonly smoothing: number;
  /** Max ratio seasonal error / flat error for the residual to be used. */
  readonly gate: number;
  /** EWMA weight of the error trackers. */
  readonly errorAlpha: number;
}

export interface SeasonalState {
  /** Kept points, oldest first (parallel arrays, plain JSON). */
  times: number[];
  values: number[];
  /** EWMA |x_t - x_{t-L}| per lag; null until the lag has been seen. */
  lagErrors: (number | null)[];
  /** EWMA |x_t - level_t|; null until the first point. */
  levelError: number | null;
  /** Last residuals of the current lag (cleared when no lag matches). */
  residuals: number[];
}

export interface SeasonalOutput {
  /** Smoothed residual, or null while fewer than `smoothing` residuals exist. */
  readonly residual: number | null;
  readonly gateOpen: boolean;
}

export function createSeasonalState(params: SeasonalParams): SeasonalState {
  return { times: [], values: [], lagErrors: params.lagsMs.map(() => null), levelError: null, residuals: [] };
}

function valueAt(state: SeasonalState, t: number): number | null {
  let lo = 0;
  let hi = state.times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((state.times[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  return state.times[lo] === t ? (state.values[lo] as number) : null;
}

const ewma = (previous: number | null, x: number, alpha: number): number =>
  previous === null ? x : previous + alpha * (x - previous);

/** Scores x at time t against the seasons, then absorbs it (mutates `state`). */
export function updateSeasonal(
  state: SeasonalState,
  params: SeasonalParams,
  t: number,
  x: number,
  level: number | null,
): SeasonalOutput {
  const lagged = params.lagsMs.map((lag) => valueAt(state, t - lag));
  lagged.forEach((v, i) => {
    if (v !== null) state.lagErrors[i] = ewma(state.lagErrors[i] ?? null, Math.abs(x - v), params.errorAlpha);
  });
  if (level !== null) state.levelError = ewma(state.levelError, Math.abs(x - level), params.errorAlpha);

  let best = -1;
  lagged.forEach((v, i) => {
    const e = state.lagErrors[i];
    if (v !== null && e !== null && e !== undefined && (best < 0 || e < (state.lagErrors[best] as number))) best = i;
  });

  let residual: number | null = null;
  let gateOpen = false;
  if (best >= 0) {
    state.residuals.push(x - (lagged[best] as number));
    if (state.residuals.length > params.smoothing) state.residuals.shift();
    if (state.residuals.length === params.smoothing) {
      residual = state.residuals.reduce((a, b) => a + b, 0) / params.smoothing;
    }
    const e = state.lagErrors[best] as number;
    gateOpen = state.levelError !== null && e < params.gate * state.levelError;
  } else {
    state.residuals.length = 0;
  }

  state.times.push(t);
  state.values.push(x);
  const horizon = Math.max(...params.lagsMs);
  while ((state.times[0] as number) < t - horizon) {
    state.times.shift();
    state.values.shift();
  }
  return { residual, gateOpen };
}
