import { describe, expect, it } from 'vitest';
import {
  dailyBaseline,
  dayOfWeek,
  scoreClosedDay,
  type DailyBaselineParams,
  type DailyPoint,
  medianWithout,
} from './daily-baseline.ts';
import { AnomalyParameterError } from './errors.ts';

const plain: DailyBaselineParams = {
  historyDays: 5,
  minHistoryDays: 3,
  boundZ: 2,
  dayOfWeek: false,
  transform: 'identity',
  minSpread: 0,
  launchDays: 0,
  ignoreZeros: false,
  trendMinDays: 0,
};
const days = (values: readonly number[], start = 1): DailyPoint[] =>
  values.map((value, i) => ({ day: `2025-01-${String(start + i).padStart(2, '0')}`, value }));

describe('daily baseline', () => {
  it('uses the median and the MAD of leave-one-out errors (hand-computed)', () => {
    // LOO errors: 10-12.5, 12-12, 11-12.5, 13-11.5, 100-11.5 = -2.5 0 -1.5 1.5 88.5 -> median 0, MAD 1.5.
    // Each LOO prediction is a median of 4 days, the scored day's of 5: spread = 1.4826 * 1.5 * s(5) / s(4) with
    // s(m) = sqrt(1 + (pi/2)/m): 2.2239 * 1.14637 / 1.18013 = 2.1603.
    const b = dailyBaseline(days([10, 12, 11, 13, 100]), '2025-01-06', plain);
    const spread = ((1.4826 * 1.5 * Math.sqrt(1 + Math.PI / 10)) / Math.sqrt(1 + Math.PI / 8)) as number;
    expect(spread).toBeCloseTo(2.1603, 4);
    expect(b?.center).toBe(12);
    expect(b?.spread).toBeCloseTo(spread, 12);
    expect(b?.lower).toBeCloseTo(12 - 2 * spread, 12);
    expect(b?.upper).toBeCloseTo(12 + 2 * spread, 12);
    const v = scoreClosedDay(20, b!, plain);
    expect(v.direction).toBe('spike');
    expect(v.z).toBeCloseTo(8 / spread, 12);
    expect(scoreClosedDay(7, b!, plain).direction).toBe('drop');
    expect(scoreClosedDay(12, b!, plain).direction).toBeNull();
  });

  it('uses only the last historyDays final days before the scored day', () => {
    const history = days([1000, 1000, 10, 12, 11, 13, 100, 5000]);
    expect(dailyBaseline(history, '2025-01-08', plain)?.center).toBe(12); // days 3..7
  });

  it('returns no baseline before minHistoryDays', () => {
    expect(dailyBaseline(days([1, 2]), '2025-01-03', plain)).toBeNull();
  });

  it('predicts a day from its own weekday when dayOfWeek is on', () => {
    // 2025-01-06 is a Monday: two weeks of 100 on weekdays, 50 on weekends
    const history: DailyPoint[] = Array.from({ length: 14 }, (_, i) => {
      const day = `2025-01-${String(6 + i).padStart(2, '0')}`;
      return { day, value: [0, 6].includes(dayOfWeek(day)) ? 50 : 100 };
    });
    const params = { ...plain, historyDays: 60, minHistoryDays: 14, minSpread: 0.01 };
    expect(dayOfWeek('2025-01-25')).toBe(6);
    expect(dailyBaseline(history, '2025-01-25', { ...params, dayOfWeek: true })?.center).toBe(50);
    expect(dailyBaseline(history, '2025-01-25', { ...params, dayOfWeek: true })?.dayOfWeekOffset).toBe(-50);
    expect(dailyBaseline(history, '2025-01-25', { ...params, dayOfWeek: false })?.center).toBe(100);
  });

  it('works on log1p and floors the spread', () => {
    const b = dailyBaseline(days([99, 99, 99, 99]), '2025-01-05', { ...plain, transform: 'log1p', minSpread: 0.05 });
    expect(b?.center).toBeCloseTo(Math.log(100), 12);
    expect(b?.spread).toBe(0.05);
    expect(b?.upper).toBeCloseTo(Math.expm1(Math.log(100) + 0.1), 9);
  });

  it('validates its parameters and days', () => {
    expect(() => dailyBaseline([], '2025-01-01', { ...plain, minHistoryDays: 9 })).toThrow(AnomalyParameterError);
    expect(() => dayOfWeek('2025-1-1')).toThrow(AnomalyParameterError);
  });
});

describe('medianWithout', () => {
  it('is the median of the sample with one occurrence left out (hand values)', () => {
    const sorted = [1, 2, 4, 7, 7, 10];
    expect(medianWithout(sorted, undefined)).toBe(5.5); // (4 + 7) / 2
    expect(medianWithout(sorted, 1)).toBe(7); // 2 4 [7] 7 10
    expect(medianWithout(sorted, 7)).toBe(4); // 1 2 [4] 7 10
    expect(medianWithout(sorted, 10)).toBe(4); // 1 2 [4] 7 7
    expect(medianWithout([3, 9], 9)).toBe(3);
    expect(medianWithout([1, 3, 5, 8], 3)).toBe(5); // 1 [5] 8
    expect(medianWithout([1, 2, 3], 2)).toBe(2); // (1 + 3) / 2
  });
});
