/**
 * Daily tumbling windows in event time (block timestamp), UTC.
 *
 * A window [start, start + 1 day) is *closed* once the partition's watermark (stream time − grace) reaches its
 * end; from then on it changes only through retractions. Stream time is the largest event time the partition has
 * seen, or an idle advance (see {@link WindowingConfig.idleTimeoutMs}). All times are epoch milliseconds.
 */
import { DAY_MS, dayStartMs, HOUR_MS, isoDay, MINUTE_MS } from '../../core/time.ts';
import { WindowingConfigError } from './errors.ts';

export interface WindowingConfig {
  /** How long after a day ends its window stays open for out-of-order events. Default 1 h. */
  readonly graceMs: number;
  /**
   * A caught-up partition with no input for this long advances its stream time to wall clock − idleTimeout, so
   * days close on quiet partitions. Must exceed the live ingestion lag (head → this topic). Default 5 min.
   */
  readonly idleTimeoutMs: number;
  /** How long a closed window's state is kept for retractions before it is range-deleted. Default 2 days. */
  readonly retentionMs: number;
  /**
   * `every_record`: an update record per change (tests, low volume). `on_punctuate`: changed windows are marked
   * dirty and one update per window is emitted at the next punctuation (before each commit), like Kafka
   * Streams' record cache, and when stream time enters a later hour (so each update's increment lies in the hour of
   * its `emitted_at`, whatever the commit cadence). Finals are emitted when a window closes in both modes. Default
   * `on_punctuate`.
   */
  readonly updates: 'every_record' | 'on_punctuate';
  /**
   * `on_punctuate`: pending updates are emitted whenever stream time enters a later slot of this length (a divisor of
   * a day), so each update holds one slot's changes whatever the commit cadence. The token aggregate keeps 1 h (the
   * hourly anomaly detector reads those increments); a day means no boundary at all (the day's final follows its end).
   * Default 1 h.
   */
  readonly updateBoundaryMs: number;
  /**
   * `on_punctuate`: the least wall-clock time between two punctuations that emit pending updates while the task has a
   * backlog (0: every punctuation, i.e. every commit). A backfill that commits many times a second then emits each
   * changed window at most once per interval; a drained (caught-up) task emits at every punctuation, so what it
   * processed shows at once. Default 0.
   */
  readonly updateIntervalMs: number;
  /** A price older than this (relative to the transfer) does not price it: USD is null. Default 2 h (config prices.stalenessLimitS). */
  readonly priceStalenessMs: number;
}

export const DEFAULT_WINDOWING: WindowingConfig = Object.freeze({
  graceMs: HOUR_MS,
  idleTimeoutMs: 5 * MINUTE_MS,
  retentionMs: 2 * DAY_MS,
  updates: 'on_punctuate',
  updateBoundaryMs: HOUR_MS,
  updateIntervalMs: 0,
  priceStalenessMs: 2 * HOUR_MS,
});

/** A windowing config as given, checked: the update boundary must split a day into whole slots. */
export function windowingOf(overrides: Partial<WindowingConfig> = {}): WindowingConfig {
  const config = { ...DEFAULT_WINDOWING, ...overrides };
  const { updateBoundaryMs, updateIntervalMs } = config;
  if (!(updateBoundaryMs > 0 && DAY_MS % updateBoundaryMs === 0) || !(updateIntervalMs >= 0))
    throw new WindowingConfigError('update boundary must divide a day and the interval must be ≥ 0', {
      updateBoundaryMs,
      updateIntervalMs,
    });
  return config;
}

/** Start of the UTC day containing `timeMs` (23:59:59.999 → that day, 00:00:00.000 → the next). */
export function windowStartOf(timeMs: number): number {
  return dayStartMs(timeMs);
}

let lastDateStart = NaN;
let lastDate = '';

/** `YYYY-MM-DD` of a window start (memoised for the last value: emissions come in runs of one day). */
export function utcDate(windowStartMs: number): string {
  if (windowStartMs !== lastDateStart) {
    lastDate = isoDay(windowStartMs);
    lastDateStart = windowStartMs;
  }
  return lastDate;
}

/**
 * Every window starting before the returned time is closed at watermark `watermarkMs`: a window closes when its
 * end is ≤ the watermark, i.e. start + 1 day ≤ watermark ⇔ start < windowStartOf(watermark).
 */
export function closedBefore(watermarkMs: number): number {
  return windowStartOf(watermarkMs);
}
