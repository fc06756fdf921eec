import { describe, expect, it } from 'vitest';
import { backoffDelayMs, withRetry } from './retry.ts';

describe('backoffDelayMs', () => {
  const policy = { initialDelayMs: 100, maxDelayMs: 1_000 };

  it('doubles from the initial delay and caps at the maximum', () => {
    const fixed = { ...policy, randomize: false };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, fixed))).toEqual([100, 200, 400, 800, 1_000]);
    expect(backoffDelayMs(10_000, fixed)).toBe(1_000);
  });

  it('jitters each delay by a factor in [1, 2), still capped', () => {
    expect(backoffDelayMs(1, policy, () => 0)).toBe(100);
    expect(backoffDelayMs(1, policy, () => 0.5)).toBe(150);
    expect(backoffDelayMs(4, policy, () => 0.999)).toBe(1_000);
  });
});

describe('withRetry', () => {
  it('retries retryable failures and stops at the first that is not', async () => {
    let calls = 0;
    const fatal = new Error('fatal');
    await expect(
      withRetry(
        async () => {
          calls += 1;
          throw calls < 3 ? new Error('transient') : fatal;
        },
        { retries: 10, initialDelayMs: 1, maxDelayMs: 2, shouldRetry: (e) => e !== fatal },
      ),
    ).rejects.toBe(fatal);
    expect(calls).toBe(3);
  });

  it('returns the first success', async () => {
    let calls = 0;
    const value = await withRetry(
      async (attempt) => {
        calls += 1;
        if (attempt < 2) throw new Error('once');
        return 'ok';
      },
      { retries: 3, initialDelayMs: 1, maxDelayMs: 1 },
    );
    expect([value, calls]).toEqual(['ok', 2]);
  });
});
