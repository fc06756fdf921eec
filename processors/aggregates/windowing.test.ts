import { describe, expect, it } from 'vitest';
import { idleAdvanceTarget } from './partition-clock.ts';
import { DAY_MS } from '../../core/time.ts';
import { DEFAULT_WINDOWING, closedBefore, utcDate, windowStartOf } from './windowing.ts';

describe('daily UTC windows', () => {
  it('assigns 23:59:59.999 to the day and 00:00:00.000 to the next', () => {
    const midnight = Date.parse('2024-03-01T00:00:00.000Z');
    expect(windowStartOf(midnight - 1)).toBe(midnight - DAY_MS);
    expect(utcDate(windowStartOf(Date.parse('2024-02-29T23:59:59.999Z')))).toBe('2024-02-29');
    expect(windowStartOf(midnight)).toBe(midnight);
    expect(utcDate(windowStartOf(midnight))).toBe('2024-03-01');
    expect(windowStartOf(0)).toBe(0);
  });

  it('closes a window once the watermark reaches its end', () => {
    const day = Date.parse('2024-03-01T00:00:00Z');
    expect(closedBefore(day + DAY_MS - 1)).toBe(day); // 1 ms short: day stays open
    expect(closedBefore(day + DAY_MS)).toBe(day + DAY_MS); // reaches the end: closed
  });

  it('allows an idle advance only when caught up and idle long enough', () => {
    const c = DEFAULT_WINDOWING;
    const now = 10 * DAY_MS;
    expect(idleAdvanceTarget(c, { wallClockMs: now, lastInputWallClockMs: now - c.idleTimeoutMs, caughtUp: true })).toBe(
      now - c.idleTimeoutMs,
    );
    expect(
      idleAdvanceTarget(c, { wallClockMs: now, lastInputWallClockMs: now - c.idleTimeoutMs + 1, caughtUp: true }),
    ).toBeUndefined();
    expect(idleAdvanceTarget(c, { wallClockMs: now, lastInputWallClockMs: 0, caughtUp: false })).toBeUndefined();
    expect(idleAdvanceTarget(c, { wallClockMs: now, lastInputWallClockMs: null, caughtUp: true })).toBe(now - c.idleTimeoutMs);
  });
});
