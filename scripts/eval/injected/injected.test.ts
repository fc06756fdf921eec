import { describe, expect, it } from 'vitest';
import { DEFAULT_DAILY_SCORER_PARAMS } from '../../../processors/anomalies/lib/daily-scorer.ts';
import { loadConfig } from '../../../config/load.ts';
import { DEFAULT_SCORING_PARAMS, scoringParamsFromConfig } from '../../../processors/anomalies/scoring/params.ts';
import { generateSeries, type SyntheticSeries } from './generator.ts';
import { computeMetrics, medianOf } from './metrics.ts';
import type { DayOutcome } from './simulate.ts';
import { simulateSeries } from './simulate.ts';

describe('synthetic series generator', () => {
  it('is deterministic per seed and places the requested anomalies', () => {
    const a = generateSeries(42);
    expect(generateSeries(42)).toEqual(a);
    expect(generateSeries(43).totals).not.toEqual(a.totals);
    expect(a.days).toHaveLength(180);
    expect(a.anomalies.map((x) => x.kind).sort()).toEqual(['drop', 'drop', 'level_shift', 'spike', 'spike']);
    const days = a.anomalies.map((x) => x.dayIndex).sort((x, y) => x - y);
    days.slice(1).forEach((d, i) => expect(d - (days[i] as number)).toBeGreaterThanOrEqual(4));
  });

  it('makes hourly values cumulative and ending at the day total', () => {
    const s = generateSeries(7);
    s.hourly.forEach((hours, d) => {
      hours.slice(1).forEach((x, h) => expect(x).toBeGreaterThanOrEqual(hours[h] as number));
      expect(hours[23]).toBeCloseTo(s.totals[d] as number, 6);
    });
  });
});

describe('injected-anomaly metrics', () => {
  const series: SyntheticSeries = {
    id: 'toy',
    days: Array.from({ length: 10 }, (_, i) => `2025-01-${String(i + 1).padStart(2, '0')}`),
    totals: new Array<number>(10).fill(1),
    hourly: [],
    cleanLog: [],
    anomalies: [
      { kind: 'spike', dayIndex: 2, factor: 4, startHour: 5 },
      { kind: 'drop', dayIndex: 4, factor: 0.2, startHour: null },
      { kind: 'level_shift', dayIndex: 7, factor: 3, startHour: null },
    ],
    traits: { weeklyAmplitude: 0, noiseSigma: 0.1, trendPerDay: 0 },
  };
  const outcome = (dayIndex: number, direction: DayOutcome['direction'], detectedHour: number | null): DayOutcome => ({
    dayIndex,
    direction,
    detectedHour,
    retracted: false,
    scored: true,
  });
  const outcomes = Array.from({ length: 10 }, (_, d) => outcome(d, null, null));
  outcomes[2] = outcome(2, 'spike', 8); // TP, 8 h
  outcomes[4] = outcome(4, null, null); // FN
  outcomes[5] = outcome(5, 'drop', 24); // FP
  outcomes[8] = outcome(8, 'spike', 3); // level shift found on its 2nd day
  outcomes[9] = outcome(9, 'spike', 3); // aftermath, not a FP

  it('counts TP/FN/FP at the day level and delays in hours', () => {
    const m = computeMetrics([{ series, outcomes }], { shiftGraceDays: 3, shiftAftermathDays: 60 });
    expect([m.pointTp, m.pointFn, m.falsePositives]).toEqual([1, 1, 1]);
    expect(m.precision).toBe(0.5);
    expect(m.recall).toBe(0.5);
    expect(m.f1).toBe(0.5);
    expect(m.spike.medianDelay).toBe(8);
    expect(m.level_shift.delays).toEqual([24 + 3]);
    expect(m.shiftAftermathFlagged).toBe(1);
    expect(medianOf([3, 1, 2, 10])).toBe(2.5);
  });
});

describe('stream replay', () => {
  it('scores every day once it has history and finds most injected spikes before close', () => {
    const s = generateSeries(5);
    const outcomes = simulateSeries(s, DEFAULT_DAILY_SCORER_PARAMS);
    expect(outcomes.filter((o) => o.scored)).toHaveLength(180 - 15); // day 0 is the series' launch, not in its baseline
    const spikes = s.anomalies.filter((a) => a.kind === 'spike');
    for (const a of spikes) {
      const o = outcomes[a.dayIndex] as DayOutcome;
      if (o.direction === 'spike') expect(o.detectedHour).toBeLessThanOrEqual(24);
    }
  });
});

describe('burst evidence (token parameters)', () => {
  it('finds injected spikes the total alone misses, without flagging more normal days', () => {
    const P = DEFAULT_SCORING_PARAMS.monotone;
    // the token processor's parameters from the default config (what scripts/eval/injected.ts runs)
    expect(scoringParamsFromConfig(loadConfig({ env: {} }), 'tokens').monotone).toEqual(P);
    expect(P.intraday.burst).not.toBeNull();
    expect(scoringParamsFromConfig(loadConfig({ env: {} }), 'addresses').monotone.intraday.burst).toBeNull();
    const off = { ...P, intraday: { ...P.intraday, burst: null } };
    const runs = (params: typeof P) =>
      computeMetrics(
        Array.from({ length: 30 }, (_, i) => generateSeries(1 + i)).map((series) => ({
          series,
          outcomes: simulateSeries(series, params),
        })),
        { shiftGraceDays: 3, shiftAftermathDays: 60 },
      );
    const on = runs(P);
    const total = runs(off);
    expect(on.spike.detected).toBeGreaterThan(total.spike.detected);
    expect(on.drop.detected).toBe(total.drop.detected);
    expect(on.falsePositives).toBeLessThanOrEqual(total.falsePositives);
  });
});
