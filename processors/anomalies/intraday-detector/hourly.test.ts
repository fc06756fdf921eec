import { describe, expect, it } from 'vitest';
import {
  cloneStreamingDetectorState,
  createStreamingDetectorState,
  scoreNextPoint,
  type StreamingDetectorState,
} from '../detector/streaming-detector.ts';
import { alarmFloor, stepHourly, type HourlyCursor, type HourlyScore } from './hourly.ts';
import { hourlyParams } from './params.ts';
import { HOUR_MS, isoDay } from '../../../core/time.ts';

const PARAMS = hourlyParams({
  enabled: true,
  historyHours: 48,
  minHistoryHours: 24,
  highMinHistoryHours: 0,
  maxGapHours: 168,
  severity: { low: 0.9125, medium: 0.95, high: 0.99 },
});
const T0 = Date.UTC(2025, 0, 1);

/** Hourly increments with a daily shape and a deterministic wobble; some hours empty. */
const increment = (h: number): number => (h % 24 < 6 ? 0 : 10 + ((h * 7) % 5));

/** Drives stepHourly like the token scorer does: one or two cumulative updates per hour, the final at day end. */
function drive(hours: number): { closed: HourlyScore[]; state: StreamingDetectorState; cursor: HourlyCursor | undefined } {
  let cursor: HourlyCursor | undefined;
  let state: StreamingDetectorState | undefined;
  const closed: HourlyScore[] = [];
  let cum = 0;
  const apply = (obs: { day: string; cum: number; atMs: number; final: boolean }): void => {
    const step = stepHourly(cursor, () => (state === undefined ? undefined : cloneStreamingDetectorState(state)), PARAMS, obs);
    if (step === null) return;
    cursor = step.cursor;
    if (step.detector !== null) state = step.detector;
    closed.push(...step.closed);
  };
  for (let h = 0; h < hours; h++) {
    const hourMs = T0 + h * HOUR_MS;
    if (h % 24 === 0) cum = 0;
    const x = increment(h);
    if (x > 0) {
      // Two updates in the hour: the cumulative at :10 (part of it) and at :40 (all of it).
      apply({ day: isoDay(hourMs), cum: cum + Math.floor(x / 2), atMs: hourMs + 10 * 60_000, final: false });
      cum += x;
      apply({ day: isoDay(hourMs), cum, atMs: hourMs + 40 * 60_000, final: false });
    }
    if (h % 24 === 23) apply({ day: isoDay(hourMs), cum, atMs: hourMs + HOUR_MS - 1, final: true });
  }
  return { closed, state: state as StreamingDetectorState, cursor };
}

describe('hourly streaming detector (stream side of the NAB detector)', () => {
  it('feeds exactly the hourly increments, zeros for empty hours, to scoreNextPoint: same scores as a direct run', () => {
    const hours = 24 * 5;
    const { closed } = drive(hours);
    // The series starts at its first observation (06:00 of the first day), then every hour, quiet ones as 0.
    const first = 6;
    const direct = createStreamingDetectorState(PARAMS.detector);
    const hoursSeen = Array.from({ length: hours - first }, (_, i) => first + i);
    const expected = hoursSeen.map((h) => scoreNextPoint(direct, PARAMS.detector, increment(h), T0 + h * HOUR_MS));
    expect(closed.map((c) => c.hourMs)).toEqual(hoursSeen.map((h) => T0 + h * HOUR_MS));
    expect(closed.map((c) => c.value)).toEqual(hoursSeen.map(increment));
    expect(closed.map((c) => c.output)).toEqual(expected);
    // The scores are not trivially zero: the detector scored after its 24 hours of warm-up.
    expect(expected.slice(30).some((o) => o.score > 0)).toBe(true);
  });

  it('scores the running hour on a copy and opens only once the partial reaches the alarm floor', () => {
    // Ends inside hour 11 of the fifth day (its updates applied): that hour is the running one.
    const { state, cursor } = drive(24 * 4 + 12);
    const c = cursor as HourlyCursor;
    const before = JSON.stringify(state);
    const floor = alarmFloor(state, PARAMS.detector, c.hourMs) as number;
    expect(floor).toBeGreaterThan(14); // above every ordinary hour (10-14)
    expect(JSON.stringify(state)).toBe(before); // the search never touched the state
    const obs = (partial: number) => ({ day: c.day, cum: c.startCum + partial, atMs: c.hourMs + 50 * 60_000, final: false });
    const below = stepHourly(c, () => cloneStreamingDetectorState(state), PARAMS, obs(Math.floor(floor * 0.99)));
    expect(below?.open).toBeNull();
    const above = stepHourly(c, () => cloneStreamingDetectorState(state), PARAMS, obs(Math.ceil(floor * 1.01)));
    expect(above?.open?.output).toMatchObject({ direction: 'up' });
    expect(above?.open?.output.score).toBeGreaterThanOrEqual(PARAMS.detector.alarmLevel);
    expect(above?.detector).toBeNull(); // nothing absorbed: no hour closed
  });

  it('ignores a past day and lets a retraction below the hour start lower the start instead of going negative', () => {
    const { state, cursor } = drive(24 * 2 + 12);
    const c = cursor as HourlyCursor;
    expect(stepHourly(c, () => state, PARAMS, { day: '2025-01-01', cum: 5, atMs: c.hourMs, final: true })).toBeNull();
    const step = stepHourly(c, () => cloneStreamingDetectorState(state), PARAMS, {
      day: c.day,
      cum: c.startCum - 3,
      atMs: c.hourMs + 1,
      final: false,
    });
    expect(step?.cursor).toMatchObject({ startCum: c.startCum - 3, cum: c.startCum - 3, seq: c.seq + 1 });
  });

  it('fills at most maxGapHours zero hours after a silence', () => {
    const { state, cursor } = drive(24 * 2);
    const c = cursor as HourlyCursor;
    const later = c.hourMs + 500 * HOUR_MS;
    const step = stepHourly(
      c,
      () => cloneStreamingDetectorState(state),
      { ...PARAMS, maxGapHours: 10 },
      {
        day: isoDay(later),
        cum: 7,
        atMs: later + 60_000,
        final: false,
      },
    );
    // The running hour, then the last 10 hours before the new one.
    expect(step?.closed.map((s) => (s.hourMs - c.hourMs) / HOUR_MS)).toEqual([
      0, 490, 491, 492, 493, 494, 495, 496, 497, 498, 499,
    ]);
    expect(step?.cursor).toMatchObject({ hourMs: later, startCum: 0, cum: 7 });
  });
});
