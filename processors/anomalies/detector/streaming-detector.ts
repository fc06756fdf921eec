/**
 * Streaming anomaly detector: one score in [0, 1] per point, causal (only the
 * current and past points), O(H) time per point and O(H) state per series.
 *
 * Four features are computed for each point x_t:
 *   value     x_t                                               (new highs/lows)
 *   local     x_t - median(x_{t-w..t-1})                        (spikes, dips)
 *   shift     mean(x_{t-k+1..t}) - median(x_{t-B..t-1})         (level shifts, slow drifts)
 *   seasonal  smoothed x_t - x_{t-season} (seasonal-residual.ts) (broken daily/weekly patterns)
 * each is scored by its record surprise against its own last H values
 * (lib/record-surprise.ts) and the point's score is the maximum. Alarms are damped in two ways: after a feature scores
 * >= alarmLevel, its next `suppression` scores are multiplied by `suppressionFactor` (one anomaly, one alarm per
 * feature), and after the point's score reaches alarmLevel, the next `mergeWindow` point scores are too (features
 * that alarm on the same event a few points apart raise one alarm). A per-feature suppression does not hide another
 * feature: a level shift that follows a spike is still seen.
 *
 * State is plain data (arrays and numbers) so it can be stored as-is.
 */
import { medianSorted } from '../lib/descriptive.ts';
import { recordSurprise } from '../lib/record-surprise.ts';
import { createSlidingWindow, pushToWindow, type SlidingWindowState } from '../lib/sliding-window.ts';
import type { StreamingDetectorParams } from './params.ts';
import { createSeasonalState, updateSeasonal, type SeasonalState } from './seasonal-residual.ts';

export type DetectorFeature = 'value' | 'local' | 'shift' | 'seasonal';
export const DETECTOR_FEATURES: readonly DetectorFeature[] = ['value', 'local', 'shift', 'seasonal'];

export interface StreamingDetectorState {
  count: number;
  /** Per-feature history the feature is ranked against. */
  histories: Record<DetectorFeature, SlidingWindowState>;
  /** Last w values (local median). */
  local: SlidingWindowState;
  /** Last B values (level-shift baseline). */
  shiftBaseline: SlidingWindowState;
  /** Last k values (level-shift mean). */
  shiftRecent: number[];
  seasonal: SeasonalState;
  /** Damped scores left per feature, and for the point score (merge window). */
  featureSuppressionLeft: Record<DetectorFeature, number>;
  suppressionLeft: number;
}

export interface DetectorOutput {
  /** Anomaly score in [0, 1]. */
  readonly score: number;
  /** Score before the merge window's damping (a feature's own suppression is already applied). */
  readonly rawScore: number;
  /** Feature that produced the score (null before any feature has enough history). */
  readonly feature: DetectorFeature | null;
  /**
   * Side of that feature's history the point is on: 'up' at or above its median, 'down' below (null with no feature).
   * A spike and a dip score alike; the stream needs the side to know whether a partial (growing) value can only grow
   * into the alarm.
   */
  readonly direction: 'up' | 'down' | null;
  readonly suppressed: boolean;
}

export function createStreamingDetectorState(params: StreamingDetectorParams): StreamingDetectorState {
  const history = (): SlidingWindowState => createSlidingWindow(params.historySize);
  return {
    count: 0,
    histories: { value: history(), local: history(), shift: history(), seasonal: history() },
    local: createSlidingWindow(params.localWindow),
    shiftBaseline: createSlidingWindow(params.shiftBaseline),
    shiftRecent: [],
    seasonal: createSeasonalState(params.seasonal),
    featureSuppressionLeft: { value: 0, local: 0, shift: 0, seasonal: 0 },
    suppressionLeft: 0,
  };
}

function featureValues(
  state: StreamingDetectorState,
  params: StreamingDetectorParams,
  x: number,
  timestampMs: number,
): { values: Partial<Record<DetectorFeature, number>>; seasonalGateOpen: boolean } {
  const values: Partial<Record<DetectorFeature, number>> = { value: x };
  if (state.local.values.length >= params.localWindow) values.local = x - medianSorted(state.local.sorted);

  state.shiftRecent.push(x);
  if (state.shiftRecent.length > params.shiftSpan) state.shiftRecent.shift();
  if (state.shiftRecent.length === params.shiftSpan && state.shiftBaseline.values.length >= params.shiftBaseline) {
    const recentMean = state.shiftRecent.reduce((a, b) => a + b, 0) / params.shiftSpan;
    values.shift = recentMean - medianSorted(state.shiftBaseline.sorted);
  }

  const valueHistory = state.histories.value.sorted;
  const level = valueHistory.length > 0 ? medianSorted(valueHistory) : null;
  const seasonal = updateSeasonal(state.seasonal, params.seasonal, timestampMs, x, level);
  if (seasonal.residual !== null) values.seasonal = seasonal.residual;
  return { values, seasonalGateOpen: seasonal.gateOpen };
}

/** Score of feature f (damped while its own suppression runs); starts its suppression on an alarm. */
function featureScore(state: StreamingDetectorState, params: StreamingDetectorParams, f: DetectorFeature, v: number): number {
  const raw = recordSurprise(state.histories[f].sorted, v, params.recordTau[f]);
  const left = state.featureSuppressionLeft[f];
  if (left > 0) {
    state.featureSuppressionLeft[f] = left - 1;
    return raw * params.suppressionFactor;
  }
  if (raw >= params.alarmLevel) state.featureSuppressionLeft[f] = params.suppression;
  return raw;
}

const copyWindow = (w: SlidingWindowState): SlidingWindowState => ({
  capacity: w.capacity,
  values: [...w.values],
  sorted: [...w.sorted],
});

/**
 * A deep copy of a state, for scoring a provisional point (the running hour of the stream) without absorbing it:
 * `scoreNextPoint(cloneStreamingDetectorState(s), ...)` leaves `s` untouched. Arrays are copied, so it costs O(H).
 */
export function cloneStreamingDetectorState(state: StreamingDetectorState): StreamingDetectorState {
  const h = state.histories;
  const season = state.seasonal;
  return {
    count: state.count,
    histories: {
      value: copyWindow(h.value),
      local: copyWindow(h.local),
      shift: copyWindow(h.shift),
      seasonal: copyWindow(h.seasonal),
    },
    local: copyWindow(state.local),
    shiftBaseline: copyWindow(state.shiftBaseline),
    shiftRecent: [...state.shiftRecent],
    seasonal: {
      times: [...season.times],
      values: [...season.values],
      lagErrors: [...season.lagErrors],
      levelError: season.levelError,
      residuals: [...season.residuals],
    },
    featureSuppressionLeft: { ...state.featureSuppressionLeft },
    suppressionLeft: state.suppressionLeft,
  };
}

/** Scores the next point and absorbs it into the state (mutates `state`). */
export function scoreNextPoint(
  state: StreamingDetectorState,
  params: StreamingDetectorParams,
  x: number,
  timestampMs: number,
): DetectorOutput {
  const { values, seasonalGateOpen } = featureValues(state, params, x, timestampMs);
  let rawScore = 0;
  let feature: DetectorFeature | null = null;
  let direction: 'up' | 'down' | null = null;
  for (const f of DETECTOR_FEATURES) {
    const v = values[f];
    if (v === undefined) continue;
    const history = state.histories[f];
    const usable = history.values.length >= params.minHistory && (f !== 'seasonal' || seasonalGateOpen);
    if (usable) {
      const s = featureScore(state, params, f, v);
      if (s > rawScore) {
        rawScore = s;
        feature = f;
        direction = v >= medianSorted(history.sorted) ? 'up' : 'down';
      }
    }
    pushToWindow(history, v);
  }
  pushToWindow(state.local, x);
  pushToWindow(state.shiftBaseline, x);
  state.count += 1;

  if (state.suppressionLeft > 0) {
    state.suppressionLeft -= 1;
    return { score: rawScore * params.suppressionFactor, rawScore, feature, direction, suppressed: true };
  }
  if (rawScore >= params.alarmLevel) state.suppressionLeft = params.mergeWindow;
  return { score: rawScore, rawScore, feature, direction, suppressed: false };
}
