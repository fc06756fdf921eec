import { describe, expect, it } from 'vitest';
import { dailyBaseline, DEFAULT_DAILY_BASELINE_PARAMS, type DailyPoint } from './daily-baseline.ts';
import { median } from './descriptive.ts';
import { mulberry32, normal } from './prng.ts';
import { weeklyTrendSlope } from './weekly-trend.ts';

const WEEKLY = [-0.8, 0.3, 0.4, 0.4, 0.3, 0.2, -0.6];

function series(days: number, slope: number, noise: number, seed = 7): { ys: number[]; ages: number[] } {
  const rnd = mulberry32(seed);
  const ages = Array.from({ length: days }, (_, i) => days - i);
  const ys = ages.map((age) => 10 - slope * age + (WEEKLY[age % 7] as number) + noise * normal(rnd));
  return { ys, ages };
}

describe('weeklyTrendSlope', () => {
  it('recovers a clear trend through a strong weekly pattern', () => {
    const { ys, ages } = series(60, 0.02, 0.05);
    expect(weeklyTrendSlope(ys, ages)).toBeCloseTo(0.02, 2);
  });

  it('is exact on a noiseless trend and zero on a flat weekly pattern', () => {
    expect(weeklyTrendSlope(...(Object.values(series(28, 0.01, 0)) as [number[], number[]]))).toBeCloseTo(0.01, 10);
    expect(weeklyTrendSlope(...(Object.values(series(60, 0, 0)) as [number[], number[]]))).toBe(0);
  });

  it('shrinks a slope the history cannot tell from noise, keeps a clear one', () => {
    const rawSlope = (ys: number[], ages: number[]): number => {
      const slopes: number[] = [];
      for (let i = 0; i < ys.length; i++)
        for (let j = i + 1; j < ys.length; j++)
          if ((ages[i]! - ages[j]!) % 7 === 0) slopes.push((ys[j]! - ys[i]!) / (ages[i]! - ages[j]!));
      return median(slopes);
    };
    const noisy = series(28, 0, 0.3, 3);
    expect(Math.abs(weeklyTrendSlope(noisy.ys, noisy.ages))).toBeLessThan(0.75 * Math.abs(rawSlope(noisy.ys, noisy.ages)));
    const clear = series(28, 0.05, 0.05, 3);
    expect(weeklyTrendSlope(clear.ys, clear.ages) / rawSlope(clear.ys, clear.ages)).toBeGreaterThan(0.95);
  });

  it('is not moved by a spike day', () => {
    const { ys, ages } = series(60, 0.02, 0.05);
    ys[40] = (ys[40] as number) + 5;
    expect(weeklyTrendSlope(ys, ages)).toBeCloseTo(0.02, 2);
  });

  it('is 0 without a pair of days a whole number of weeks apart', () => {
    expect(weeklyTrendSlope([1, 2, 3], [3, 2, 1])).toBe(0);
  });
});

describe('dailyBaseline with trendMinDays', () => {
  const day = (i: number): string => new Date(Date.UTC(2025, 0, 1 + i)).toISOString().slice(0, 10);
  // A series growing 2 % a day: after 60 days the median of the history sits ~30 days (~80 %) below today's level.
  const history: DailyPoint[] = Array.from({ length: 60 }, (_, i) => ({ day: day(i), value: 1_000 * Math.exp(0.02 * i) }));
  const params = { ...DEFAULT_DAILY_BASELINE_PARAMS, dayOfWeek: false, minSpread: 0.01 };

  it("centers today's expected level, not the history's median", () => {
    const expected = Math.log1p(1_000 * Math.exp(0.02 * 60));
    const flat = dailyBaseline(history, day(60), params)!;
    const trended = dailyBaseline(history, day(60), { ...params, trendMinDays: 28 })!;
    expect(expected - flat.center).toBeGreaterThan(0.5);
    expect(trended.center).toBeCloseTo(expected, 2);
  });

  it('ignores the trend below trendMinDays', () => {
    const short = history.slice(-20);
    expect(dailyBaseline(short, day(60), { ...params, trendMinDays: 28 })).toEqual(dailyBaseline(short, day(60), params));
  });
});
