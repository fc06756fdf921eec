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
 * (lib/record-surprise.ts) and the point's score is the maximum. After a point scores >= alarmLevel the next `suppression`
 * scores are multiplied by `suppressionFactor`: one anomaly raises one alarm.
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
  suppressionLeft: number;
}

export interface DetectorOutput {
  /** Anomaly score in [0, 1]. */
  readonly score: number;
  /** Score before suppression. */
  readonly rawScore: number;
  /** Feature that produced the score (null before any feature has enough history). */
  readonly feature: DetectorFeature | null;
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
  for (const f of DETECTOR_FEATURES) {
    const v = values[f];
    if (v === undefined) continue;
    const history = state.histories[f];
    const usable = history.values.length >= params.minHistory && (f !== 'seasonal' || seasonalGateOpen);
    if (usable) {
      const s = recordSurprise(history.sorted, v, params.recordTau);
      if (s > rawScore) {
        rawScore = s;
        feature = f;
      }
    }
    pushToWindow(history, v);
  }
  pushToWindow(state.local, x);
  pushToWindow(state.shiftBaseline, x);
  state.count += 1;

  if (state.suppressionLeft > 0) {
    state.suppressionLeft -= 1;
    return { score: rawScore * params.suppressionFactor, rawScore, feature, suppressed: true };
  }
  if (rawScore >= params.alarmLevel) state.suppressionLeft = params.suppression;
  return { score: rawScore, rawScore, feature, suppressed: false };
}
