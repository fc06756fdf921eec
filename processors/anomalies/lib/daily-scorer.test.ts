import { describe, expect, it } from 'vitest';
import { closeDay, createDailyScorerState, DEFAULT_DAILY_SCORER_PARAMS, scoreDayUpdate } from './daily-scorer.ts';
import { addDays } from '../../../core/time.ts';

const day = (i: number): string => addDays('2025-01-01', i);
const linearDay = (total: number): number[] => Array.from({ length: 24 }, (_, h) => (total * (h + 1)) / 24);

describe('daily scorer', () => {
  it('waits for minHistoryDays, flags a spike during the day, confirms it at close', () => {
    const state = createDailyScorerState();
    for (let i = 0; i < 30; i++) {
      const total = 1000 * (1 + 0.05 * Math.sin(i));
      const open = scoreDayUpdate(state, day(i), total / 2, 12);
      if (i < 14) expect(open.baseline).toBeNull();
      closeDay(state, day(i), total, linearDay(total));
    }
    const spikeDay = day(30);
    const early = scoreDayUpdate(state, spikeDay, 500, 6);
    expect(early.direction).toBeNull();
    const flagged = scoreDayUpdate(state, spikeDay, 5000, 7); // a burst: already 5x a full day
    expect(flagged).toMatchObject({ status: 'open', direction: 'spike', certain: true });
    const final = closeDay(state, spikeDay, 6000, null);
    expect(final).toMatchObject({ status: 'final', direction: 'spike' });
    expect(final.z).toBeGreaterThan(DEFAULT_DAILY_SCORER_PARAMS.baseline.boundZ);
  });

  it('keeps bounded, JSON-safe state and replaces a re-sent final day', () => {
    const state = createDailyScorerState();
    for (let i = 0; i < 100; i++) closeDay(state, day(i), 100 + i, linearDay(100 + i));
    expect(state.finalDays).toHaveLength(DEFAULT_DAILY_SCORER_PARAMS.baseline.historyDays);
    closeDay(state, day(99), 5, null);
    expect(state.finalDays.filter((p) => p.day === day(99))).toEqual([{ day: day(99), value: 5 }]);
    const copy = JSON.parse(JSON.stringify(state)) as typeof state;
    expect(scoreDayUpdate(copy, day(100), 50, 12)).toEqual(scoreDayUpdate(state, day(100), 50, 12));
  });

  it('keeps the launch day (a mint distribution) out of the baseline: no flood on the first scored day', () => {
    // Devnet-shaped: day 0 mints 150 days of volume to 120 holders, then ordinary days with quieter weekends.
    const weekday = [0.65, 1, 1.05, 1.05, 1, 0.95, 0.7];
    const volume = (i: number): number => 1e6 * (weekday[new Date(Date.UTC(2025, 0, 1 + i)).getUTCDay()] as number);
    const run = (launchDays: number) => {
      const params = { ...DEFAULT_DAILY_SCORER_PARAMS, baseline: { ...DEFAULT_DAILY_SCORER_PARAMS.baseline, launchDays } };
      const state = createDailyScorerState(params);
      closeDay(state, day(0), 150e6, null, params);
      const firstScored: number[] = [];
      for (let i = 1; i < 25; i++) {
        const s = closeDay(state, day(i), volume(i) * (1 + 0.03 * Math.sin(i)), null, params);
        if (s.baseline !== null) firstScored.push(s.z);
      }
      return firstScored;
    };
    // With the launch in the baseline, its weekday's median of 2 days sits between the launch and a normal day.
    expect(Math.abs(run(0)[0] as number)).toBeGreaterThan(10);
    const settled = run(1);
    expect(settled).toHaveLength(24 - 14);
    for (const z of settled) expect(Math.abs(z)).toBeLessThan(5);
  });

  it('makes a day below the bound a spike when its excess came as a burst, not when every hour rose alike', () => {
    const history = (params = DEFAULT_DAILY_SCORER_PARAMS) => {
      const state = createDailyScorerState(params);
      for (let i = 0; i < 40; i++) {
        const total = 1000 * (1 + 0.05 * Math.sin(i));
        closeDay(state, day(i), total, linearDay(total), params);
      }
      return state;
    };
    const total = 1230;
    const even = linearDay(total);
    // an ordinary day's hours plus the excess in one hour (hour 9)
    const burst = Array.from({ length: 24 }, (_, h) => (1000 * (h + 1)) / 24 + (h >= 9 ? total - 1000 : 0));
    const evenScore = closeDay(history(), day(40), total, even);
    // precondition: the total alone is unusual but inside the bound
    expect(evenScore.z).toBeGreaterThanOrEqual(DEFAULT_DAILY_SCORER_PARAMS.intraday.burst?.minDayZ ?? Infinity);
    expect(evenScore.z).toBeLessThan(DEFAULT_DAILY_SCORER_PARAMS.baseline.boundZ);
    expect(evenScore).toMatchObject({ direction: null, burst: null });
    const burstScore = closeDay(history(), day(40), total, burst);
    expect(burstScore).toMatchObject({ status: 'final', direction: 'spike', certain: true, z: 5 });
    expect(burstScore.burst).toMatchObject({ startHour: 9, hours: 1 });
    // off: the total alone decides; without the hours (a re-sent final), too
    const off = { ...DEFAULT_DAILY_SCORER_PARAMS, intraday: { ...DEFAULT_DAILY_SCORER_PARAMS.intraday, burst: null } };
    expect(closeDay(history(off), day(40), total, burst, off).direction).toBeNull();
    expect(closeDay(history(), day(40), total, null).direction).toBeNull();
  });
});
