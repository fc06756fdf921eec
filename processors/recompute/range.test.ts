import { describe, expect, it } from 'vitest';
import { recomputeDays } from './range.ts';

describe('recomputeDays', () => {
  it('refuses malformed, reversed and still-open ranges with typed errors', () => {
    const now = Date.parse('2024-03-10T00:30:00Z');
    expect(() => recomputeDays('2024-3-1', '2024-03-02', now, 3_600_000)).toThrow(
      expect.objectContaining({ code: 'ORACUL_RECOMPUTE_INVALID_RANGE' }),
    );
    expect(() => recomputeDays('2024-02-30', '2024-03-02', now, 3_600_000)).toThrow(
      expect.objectContaining({ code: 'ORACUL_RECOMPUTE_INVALID_RANGE' }),
    );
    expect(() => recomputeDays('2024-03-03', '2024-03-02', now, 3_600_000)).toThrow(
      expect.objectContaining({ code: 'ORACUL_RECOMPUTE_INVALID_RANGE' }),
    );
    // 2024-03-09 ends at 03-10 00:00 and closes an hour later (grace).
    expect(() => recomputeDays('2024-03-08', '2024-03-09', now, 3_600_000)).toThrow(
      expect.objectContaining({ code: 'ORACUL_RECOMPUTE_DAY_OPEN' }),
    );
    expect(recomputeDays('2024-03-07', '2024-03-08', now, 3_600_000)).toEqual(['2024-03-07', '2024-03-08']);
  });
});
