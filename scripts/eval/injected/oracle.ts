/**
 * Ceiling of day-level detection on the synthetic data: an oracle that knows
 * each day's clean level (cleanLog) and the series' noise scale flags a day
 * when |log(total) - cleanLog| / sigma > c. The best F1 over c says how much
 * the heavy-tailed noise alone costs, whatever the baseline method.
 */
import type { SyntheticSeries } from './generator.ts';

export interface OracleResult {
  readonly threshold: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

export function oracleCeiling(series: readonly SyntheticSeries[], minHistoryDays: number): OracleResult {
  const normal: number[] = [];
  const anomalous: number[] = [];
  for (const s of series) {
    const points = new Set(s.anomalies.filter((a) => a.kind !== 'level_shift').map((a) => a.dayIndex));
    const shifts = new Set(s.anomalies.filter((a) => a.kind === 'level_shift').map((a) => a.dayIndex));
    s.totals.forEach((total, d) => {
      if (d < minHistoryDays || shifts.has(d)) return;
      const z = Math.abs(Math.log(total) - (s.cleanLog[d] as number)) / s.traits.noiseSigma;
      (points.has(d) ? anomalous : normal).push(z);
    });
  }
  let best: OracleResult = { threshold: NaN, precision: NaN, recall: 0, f1: 0 };
  for (let c = 2; c <= 15; c += 0.25) {
    const tp = anomalous.filter((z) => z > c).length;
    const fp = normal.filter((z) => z > c).length;
    const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
    const recall = tp / anomalous.length;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    if (f1 > best.f1) best = { threshold: c, precision, recall, f1 };
  }
  return best;
}
