import { describe, expect, it } from 'vitest';
import { AnomalyParameterError } from './errors.ts';
import { DEFAULT_SEVERITY_THRESHOLDS, isEscalation, severityOf } from './severity.ts';

describe('severity', () => {
  const t = { low: 3, medium: 5, high: 8 };
  it('maps |score| to low / medium / high with thresholds inclusive', () => {
    expect(severityOf(2.99, t)).toBeNull();
    expect(severityOf(3, t)).toBe('low');
    expect(severityOf(-4.9, t)).toBe('low');
    expect(severityOf(5, t)).toBe('medium');
    expect(severityOf(-8, t)).toBe('high');
    expect(severityOf(Infinity, t)).toBe('high');
    expect(severityOf(NaN, t)).toBeNull();
  });

  it('uses documented defaults', () => {
    expect(DEFAULT_SEVERITY_THRESHOLDS).toEqual({ low: 5, medium: 7, high: 10 });
    expect(severityOf(4.9)).toBeNull();
    expect(severityOf(-7.5)).toBe('medium');
  });

  it('rejects unordered thresholds', () => {
    expect(() => severityOf(1, { low: 5, medium: 3, high: 8 })).toThrow(AnomalyParameterError);
  });

  it('detects escalations only', () => {
    expect(isEscalation(null, 'low')).toBe(true);
    expect(isEscalation('low', 'high')).toBe(true);
    expect(isEscalation('high', 'medium')).toBe(false);
    expect(isEscalation('medium', 'medium')).toBe(false);
    expect(isEscalation('low', null)).toBe(false);
  });
});
