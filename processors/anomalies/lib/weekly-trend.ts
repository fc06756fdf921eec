/**
 * Trend of a daily series that has a weekly pattern, for the daily baseline.
 *
 * A 60-day baseline centred on a median lags a trending series by about 30 days of its trend: the center sits
 * where the series was a month ago, a growing token's ordinary days drift towards the upper bound and a shrinking
 * one's towards the lower, and after a level shift the old level holds the center for weeks. Removing the trend
 * before the medians puts the center where the series is now.
 *
 * The slope is Theil-Sen's (median of pairwise slopes) over pairs of days a whole number of weeks apart, so a
 * weekly pattern does not enter it and an anomalous day moves it little. It is then shrunk by its own
 * signal-to-noise ratio, b * b² / (b² + se²) with se² = (1.4826 · MAD of the pairwise slopes)² / days: a slope
 * that the history cannot tell from zero is mostly dropped, a clear one kept.
 */
import { median } from './descriptive.ts';

/** Days of history before a trend is estimated: four full weeks, so every weekday has lag pairs. */
export const DEFAULT_TREND_MIN_DAYS = 28;

/**
 * Shrunk slope per day of `ys` (oldest first is not required), where `ages[i]` is how many whole days before the
 * scored day `ys[i]` was. 0 without any pair a whole number of weeks apart.
 */
export function weeklyTrendSlope(ys: readonly number[], ages: readonly number[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < ys.length; i++) {
    for (let j = i + 1; j < ys.length; j++) {
      const lag = (ages[i] as number) - (ages[j] as number);
      if (lag !== 0 && lag % 7 === 0) slopes.push(((ys[j] as number) - (ys[i] as number)) / lag);
    }
  }
  if (slopes.length === 0) return 0;
  const slope = median(slopes);
  const scale = 1.4826 * median(slopes.map((s) => Math.abs(s - slope)));
  const se2 = (scale * scale) / ys.length;
  const signal = slope * slope;
  return signal === 0 ? 0 : slope * (signal / (signal + se2));
}
