import { describe, expect, it } from 'vitest';
import type { DailyBaseline, DailyBaselineParams } from './daily-baseline.ts';
import {
  burstEvidence,
  createIntradayProfile,
  DEFAULT_BURST_PARAMS,
  scorePartialDay,
  updateIntradayProfile,
  validateBurstParams,
  type IntradayParams,
} from './intraday.ts';

const linearDay = (total: number): number[] => Array.from({ length: 24 }, (_, h) => (total * (h + 1)) / 24);
const baselineParams: DailyBaselineParams = {
  historyDays: 60,
  minHistoryDays: 14,
  boundZ: 5,
  dayOfWeek: false,
  transform: 'identity',
  minSpread: 0,
  launchDays: 0,
  ignoreZeros: false,
  trendMinDays: 0,
};
const baseline: DailyBaseline = {
  day: '2025-01-10',
  center: 100,
  spread: 10,
  dayOfWeekOffset: 0,
  lower: 50,
  upper: 150,
  historyDays: 30,
};
const params: IntradayParams = { monotone: true, dropShareZ: 2, dropMinShare: 0.5, minProfileDays: 2, burst: null };

describe('intraday profile', () => {
  it('learns the cumulative share per hour with an EWMA (hand-computed)', () => {
    const p = createIntradayProfile(0.5);
    updateIntradayProfile(p, linearDay(240)); // share (h + 1) / 24
    expect(p.meanShare[11]).toBe(0.5);
    updateIntradayProfile(p, new Array<number>(24).fill(240)); // everything in the first hour: share 1
    // d = 1 - 0.5: mean 0.5 + 0.5 * 0.5 = 0.75, var 0.5 * (0 + 0.5 * 0.25) = 0.0625
    expect(p.meanShare[11]).toBe(0.75);
    expect(p.varShare[11]).toBe(0.0625);
    expect(p.meanShare[23]).toBe(1);
    expect(p.days).toBe(2);
  });
});

describe('scoring a running day', () => {
  const profile = createIntradayProfile(0.5);
  updateIntradayProfile(profile, linearDay(100));
  updateIntradayProfile(profile, linearDay(100));

  it('flags a spike as soon as the partial value exceeds the full-day upper bound, with certainty', () => {
    const v = scorePartialDay(151, 3, baseline, profile, baselineParams, params);
    expect(v).toMatchObject({ direction: 'spike', certain: true });
    expect(v.z).toBeCloseTo(5.1, 12);
    expect(scorePartialDay(149, 23, baseline, profile, baselineParams, params).direction).toBeNull();
  });

  it('flags a drop only on a conservative projection, after half of a typical day', () => {
    // hour 12: share 0.5 (sd 0): projected 20 / 0.5 = 40 < lower 50
    expect(scorePartialDay(20, 12, baseline, profile, baselineParams, params)).toMatchObject({
      direction: 'drop',
      certain: false,
      projected: 40,
    });
    // hour 11: typical share 11/24 < 0.5: too early to call
    expect(scorePartialDay(5, 11, baseline, profile, baselineParams, params).direction).toBeNull();
    // projected 30 / 0.5 = 60 >= lower: no drop
    expect(scorePartialDay(30, 12, baseline, profile, baselineParams, params).direction).toBeNull();
  });

  it('scores nothing early for signed (non-monotone) metrics', () => {
    expect(scorePartialDay(1000, 5, baseline, profile, baselineParams, { ...params, monotone: false }).direction).toBeNull();
  });
});

describe('burst evidence on a closed day', () => {
  const profile = createIntradayProfile(0.5);
  for (let i = 0; i < 7; i++) updateIntradayProfile(profile, linearDay(240)); // usual share of any hour 1/24, sd 0
  const cumulative = (increments: readonly number[]): number[] => {
    let sum = 0;
    return increments.map((x) => (sum += x));
  };

  it('finds the window whose share of the day most exceeds its usual share (hand-computed)', () => {
    // 10 an hour, plus 60 in hour 10: total 300, hour 10 holds 70/300 of the day against 1/24 usually.
    const day = cumulative(Array.from({ length: 24 }, (_, h) => (h === 10 ? 70 : 10)));
    const b = burstEvidence(day, profile, DEFAULT_BURST_PARAMS, 7);
    expect(b).toMatchObject({ startHour: 10, hours: 1 });
    // sd of the profile is 0, so the floor minShareSd = 0.01 applies: (70/300 - 1/24) / 0.01
    expect(b?.shareZ).toBeCloseTo((70 / 300 - 1 / 24) / 0.01, 9);
    // the same day scaled evenly (every hour alike, as day-level noise does) holds no burst
    expect(burstEvidence(linearDay(300), profile, DEFAULT_BURST_PARAMS, 7)?.shareZ).toBeCloseTo(0, 9);
  });

  it('needs minProfileDays of profile and a non-empty day, and validates its parameters', () => {
    const young = createIntradayProfile(0.5);
    updateIntradayProfile(young, linearDay(240));
    expect(burstEvidence(linearDay(240), young, DEFAULT_BURST_PARAMS, 7)).toBeNull();
    expect(burstEvidence(new Array<number>(24).fill(0), profile, DEFAULT_BURST_PARAMS, 7)).toBeNull();
    expect(() => validateBurstParams({ ...DEFAULT_BURST_PARAMS, maxHours: 25 })).toThrow(/maxHours/);
    expect(() => validateBurstParams({ ...DEFAULT_BURST_PARAMS, minShareSd: 0 })).toThrow(/minShareSd/);
  });
});
