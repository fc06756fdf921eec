import { describe, expect, it } from 'vitest';
import { createAimdRateLimiter } from './aimd-rate-limiter.ts';

/** A manual clock: sleeping advances time, so admission times are exact. */
function fakeClock() {
  let t = 0;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe('createAimdRateLimiter', () => {
  it('admits calls at the configured rate after the burst', async () => {
    const clock = fakeClock();
    const limiter = createAimdRateLimiter({ initialRps: 10, minRps: 1, maxRps: 100, burst: 1, ...clock });
    for (let i = 0; i < 11; i += 1) await limiter.acquire();
    // 11 calls at 10/s with a burst of 1: the 11th starts 1 s after the first.
    expect(clock.now()).toBe(1000);
  });

  it('charges a batch by its number of calls', async () => {
    const clock = fakeClock();
    const limiter = createAimdRateLimiter({ initialRps: 10, minRps: 1, maxRps: 100, burst: 1, ...clock });
    await limiter.acquire(5);
    await limiter.acquire(1);
    expect(clock.now()).toBe(500); // the next request waits until the 5-call batch has passed at 10/s
  });

  it('halves the rate on 429 (once per cooldown) and pauses for Retry-After', async () => {
    const clock = fakeClock();
    const limiter = createAimdRateLimiter({ initialRps: 40, minRps: 5, maxRps: 100, decreaseCooldownMs: 1000, ...clock });
    limiter.onCongestion(2000);
    limiter.onCongestion(); // same congestion episode: no second cut
    expect(limiter.state.rps).toBe(20);
    await limiter.acquire();
    expect(clock.now()).toBe(2000);
    clock.advance(1000);
    limiter.onCongestion();
    limiter.onCongestion();
    clock.advance(1000);
    limiter.onCongestion();
    expect(limiter.state.rps).toBe(5); // floor
    expect(limiter.state.decreases).toBe(3);
  });

  it('grows additively only while callers wait for slots', async () => {
    const clock = fakeClock();
    const limiter = createAimdRateLimiter({
      initialRps: 10,
      minRps: 1,
      maxRps: 100,
      additiveIncrease: 1,
      burst: 1,
      slowStart: false,
      ...clock,
    });
    limiter.onSuccess(); // idle limiter: no growth
    expect(limiter.state.rps).toBe(10);
    for (let i = 0; i < 100; i += 1) {
      await limiter.acquire();
      limiter.onSuccess();
    }
    // ~8 s at ~12 calls/s: about +1 call/s per second.
    expect(clock.now()).toBeGreaterThan(7_000);
    expect(limiter.state.rps).toBeGreaterThan(15);
    expect(limiter.state.rps).toBeLessThan(20);
  });

  it('doubles the rate per second in slow start, until the first congestion signal', async () => {
    const clock = fakeClock();
    const limiter = createAimdRateLimiter({ initialRps: 10, minRps: 1, maxRps: 1_000, additiveIncrease: 1, burst: 1, ...clock });
    while (clock.now() < 2_000) {
      await limiter.acquire();
      limiter.onSuccess();
    }
    expect(limiter.state.rps).toBeGreaterThan(35); // 10 → ~20 → ~40
    limiter.onCongestion();
    const after = limiter.state.rps;
    for (let i = 0; i < 50; i += 1) {
      await limiter.acquire();
      limiter.onSuccess();
    }
    expect(limiter.state.rps - after).toBeLessThan(3); // additive from now on
  });

  it('rejects inconsistent bounds', () => {
    expect(() => createAimdRateLimiter({ initialRps: 1, minRps: 2, maxRps: 3 })).toThrow(RangeError);
  });
});
