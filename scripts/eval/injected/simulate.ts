/**
 * Replays a synthetic series through the daily scorer as the stream would:
 * for every day, the 23 hourly window updates (status open), then the final
 * record (status final), which then enters the baseline.
 */
import type { Direction } from '../../../processors/anomalies/lib/daily-baseline.ts';
import {
  closeDay,
  createDailyScorerState,
  scoreDayUpdate,
  type DailyScorerParams,
} from '../../../processors/anomalies/lib/daily-scorer.ts';
import { HOURS_PER_DAY } from '../../../processors/anomalies/lib/intraday.ts';
import type { SyntheticSeries } from './generator.ts';

export interface DayOutcome {
  readonly dayIndex: number;
  /** Final verdict of the closed day. */
  readonly direction: Direction | null;
  /** Hour (1..24, 24 = at close) the final anomaly was first open in the same direction; null if none. */
  readonly detectedHour: number | null;
  /** An open anomaly was raised during the day but the closed day did not confirm it. */
  readonly retracted: boolean;
  /** Whether the day had a baseline (enough history). */
  readonly scored: boolean;
}

export function simulateSeries(series: SyntheticSeries, params: DailyScorerParams): DayOutcome[] {
  const state = createDailyScorerState(params);
  return series.days.map((day, d) => {
    const hours = series.hourly[d] as readonly number[];
    let firstOpen: { hour: number; direction: Direction } | null = null;
    for (let h = 1; h < HOURS_PER_DAY; h++) {
      const s = scoreDayUpdate(state, day, hours[h - 1] as number, h, params);
      if (s.direction !== null && firstOpen === null) firstOpen = { hour: h, direction: s.direction };
    }
    const final = closeDay(state, day, series.totals[d] as number, hours, params);
    const confirmed = final.direction !== null;
    const detectedHour = !confirmed
      ? null
      : firstOpen !== null && firstOpen.direction === final.direction
        ? firstOpen.hour
        : HOURS_PER_DAY;
    return {
      dayIndex: d,
      direction: final.direction,
      detectedHour,
      retracted: firstOpen !== null && (!confirmed || firstOpen.direction !== final.direction),
      scored: final.baseline !== null,
    };
  });
}
