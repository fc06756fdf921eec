import { describe, expect, it } from 'vitest';
import { DAY_MS, addDays, dayStartMs, epochDayOf, isoDay, isoDayOfEpochDay, isoHour, parseIsoDay } from './time.ts';

describe('core/time', () => {
  const t = Date.UTC(2025, 1, 28, 23, 59, 59, 999);

  it('names UTC days and hours', () => {
    expect(isoDay(t)).toBe('2025-02-28');
    expect(isoDay(t + 1)).toBe('2025-03-01');
    expect(isoHour(t)).toBe('2025-02-28T23');
    expect(isoDayOfEpochDay(epochDayOf(t))).toBe('2025-02-28');
    expect(dayStartMs(t)).toBe(Date.UTC(2025, 1, 28));
    expect(dayStartMs(t + 1)).toBe(t + 1);
  });

  it('parses only real calendar days', () => {
    expect(parseIsoDay('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(parseIsoDay('2025-02-29')).toBeUndefined();
    expect(parseIsoDay('2025-2-01')).toBeUndefined();
    expect(parseIsoDay('2025-02-01T00:00:00Z')).toBeUndefined();
  });

  it('steps across month and year ends', () => {
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(addDays('2025-03-01', -1)).toBe('2025-02-28');
    expect(Date.parse(`${addDays('2025-01-01', 365)}T00:00:00Z`) - Date.UTC(2025, 0, 1)).toBe(365 * DAY_MS);
  });
});
