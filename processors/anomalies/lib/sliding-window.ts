/**
 * Bounded sliding window of the last `capacity` values, kept both in arrival
 * order and sorted, so order statistics (median, quantiles, MAD) of the window
 * cost O(log n) to O(n) per point instead of a sort. Plain JSON-serialisable data.
 */
import { lowerBound } from './descriptive.ts';
import { AnomalyParameterError } from './errors.ts';

export interface SlidingWindowState {
  capacity: number;
  /** Oldest first. */
  values: number[];
  /** Same multiset as `values`, ascending. */
  sorted: number[];
}

export function createSlidingWindow(capacity: number): SlidingWindowState {
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new AnomalyParameterError(`window capacity must be a positive integer, got ${capacity}`, { capacity });
  }
  return { capacity, values: [], sorted: [] };
}

/** Appends x, evicting the oldest value when full (mutates `state`); returns the evicted value, if any. */
export function pushToWindow(state: SlidingWindowState, x: number): number | undefined {
  if (!Number.isFinite(x)) throw new AnomalyParameterError(`window values must be finite, got ${x}`, { value: x });
  state.values.push(x);
  state.sorted.splice(lowerBound(state.sorted, x), 0, x);
  if (state.values.length <= state.capacity) return undefined;
  const evicted = state.values.shift() as number;
  state.sorted.splice(lowerBound(state.sorted, evicted), 1);
  return evicted;
}

export function isWindowFull(state: SlidingWindowState): boolean {
  return state.values.length >= state.capacity;
}
