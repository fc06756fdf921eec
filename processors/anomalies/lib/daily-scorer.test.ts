import { describe, expect, it } from 'vitest';
import { closeDay, createDailyScorerState, DEFAULT_DAILY_SCORER_PARAMS, scoreDayUpdate } from './daily-scorer.ts';

const day = (i: number): string => new Date(Date.UTC(2025, 0, 1 + i)).toISOString().slice(0, 10);
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
});
