/**
 * Detection metrics on injected anomalies, at the day level.
 *
 * Spikes and drops: a TP is an injected day whose closed-day verdict has the
 * injected direction; every other flagged day is a FP, except the days that
 * follow a level shift while the baseline still holds the old regime
 * (reported apart, as "shift aftermath"). Level shifts count as detected when
 * flagged, in their direction, within `shiftGraceDays` of their first day.
 * Delays are in hours from the start of the anomalous day (24 = at close).
 */
import type { InjectedKind, SyntheticSeries } from './generator.ts';
import type { DayOutcome } from './simulate.ts';

export interface KindMetrics {
  readonly injected: number;
  readonly detected: number;
  readonly recall: number;
  readonly delays: readonly number[];
  readonly meanDelay: number;
  readonly medianDelay: number;
  /** Share of detections made while the day was still running (hour < 24). */
  readonly beforeClose: number;
}

export interface InjectedMetrics {
  readonly spike: KindMetrics;
  readonly drop: KindMetrics;
  readonly level_shift: KindMetrics;
  /** Spikes and drops together. */
  readonly pointTp: number;
  readonly pointFn: number;
  readonly falsePositives: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Spikes and drops together. */
  readonly pointDelays: { readonly mean: number; readonly median: number; readonly beforeClose: number };
  readonly shiftAftermathFlagged: number;
  /** Open anomalies raised during a day that the closed day did not confirm. */
  readonly retractedOpen: number;
  readonly scoredDays: number;
}

export function medianOf(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const meanOf = (xs: readonly number[]): number => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

function kindMetrics(injected: number, delays: number[]): KindMetrics {
  return {
    injected,
    detected: delays.length,
    recall: injected === 0 ? NaN : delays.length / injected,
    delays,
    meanDelay: meanOf(delays),
    medianDelay: medianOf(delays),
    beforeClose: delays.length === 0 ? NaN : delays.filter((h) => h < 24).length / delays.length,
  };
}

export function computeMetrics(
  runs: readonly { series: SyntheticSeries; outcomes: readonly DayOutcome[] }[],
  options: { shiftGraceDays: number; shiftAftermathDays: number },
): InjectedMetrics {
  const delays: Record<InjectedKind, number[]> = { spike: [], drop: [], level_shift: [] };
  const injected: Record<InjectedKind, number> = { spike: 0, drop: 0, level_shift: 0 };
  let falsePositives = 0;
  let aftermath = 0;
  let retracted = 0;
  let scoredDays = 0;
  for (const { series, outcomes } of runs) {
    const truePositiveDays = new Set<number>();
    /** First day of each shift and the day it was detected: neither is a false positive. */
    const shiftStarts = new Set<number>();
    const aftermathDays = new Set<number>();
    for (const a of series.anomalies) {
      injected[a.kind] += 1;
      const want = a.kind === 'drop' || (a.kind === 'level_shift' && a.factor < 1) ? 'drop' : 'spike';
      if (a.kind === 'level_shift') {
        shiftStarts.add(a.dayIndex);
        for (let d = a.dayIndex + 1; d < Math.min(outcomes.length, a.dayIndex + options.shiftAftermathDays); d++)
          aftermathDays.add(d);
        for (let d = a.dayIndex; d < Math.min(outcomes.length, a.dayIndex + options.shiftGraceDays); d++) {
          const o = outcomes[d] as DayOutcome;
          if (o.direction === want && o.detectedHour !== null) {
            delays.level_shift.push((d - a.dayIndex) * 24 + o.detectedHour);
            shiftStarts.add(d); // the day that caught the shift is its detection, not aftermath
            break;
          }
        }
        continue;
      }
      const o = outcomes[a.dayIndex] as DayOutcome;
      if (o.direction === want && o.detectedHour !== null) {
        delays[a.kind].push(o.detectedHour);
        truePositiveDays.add(a.dayIndex);
      }
    }
    for (const o of outcomes) {
      if (o.scored) scoredDays++;
      if (o.retracted) retracted++;
      if (o.direction === null || truePositiveDays.has(o.dayIndex) || shiftStarts.has(o.dayIndex)) continue;
      if (aftermathDays.has(o.dayIndex)) aftermath++;
      else falsePositives++;
    }
  }
  const pointTp = delays.spike.length + delays.drop.length;
  const pointInjected = injected.spike + injected.drop;
  const precision = pointTp + falsePositives === 0 ? NaN : pointTp / (pointTp + falsePositives);
  const recall = pointInjected === 0 ? NaN : pointTp / pointInjected;
  const pointDelays = [...delays.spike, ...delays.drop];
  return {
    spike: kindMetrics(injected.spike, delays.spike),
    drop: kindMetrics(injected.drop, delays.drop),
    level_shift: kindMetrics(injected.level_shift, delays.level_shift),
    pointTp,
    pointFn: pointInjected - pointTp,
    falsePositives,
    precision,
    recall,
    f1: (2 * precision * recall) / (precision + recall),
    pointDelays: {
      mean: meanOf(pointDelays),
      median: medianOf(pointDelays),
      beforeClose: pointDelays.length === 0 ? NaN : pointDelays.filter((h) => h < 24).length / pointDelays.length,
    },
    shiftAftermathFlagged: aftermath,
    retractedOpen: retracted,
    scoredDays,
  };
}
