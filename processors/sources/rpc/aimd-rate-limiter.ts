/**
 * Adaptive request rate for one endpoint: additive increase while healthy,
 * multiplicative decrease on 429s and timeouts (AIMD, as TCP congestion control),
 * after a slow start that doubles the rate every second until the first congestion. Admission is
 * GCRA-style: each call reserves a slot synchronously (no races between
 * concurrent callers), then sleeps until its slot, so the rate holds whatever
 * the concurrency. Units are JSON-RPC calls, not HTTP requests, because providers
 * meter batch elements one by one.
 */

export interface AimdRateLimiterOptions {
  /** Starting rate in calls per second. */
  initialRps: number;
  /** Floor the rate never goes below, whatever the 429s. */
  minRps: number;
  /** Ceiling the rate never grows above. */
  maxRps: number;
  /** Calls per second added per second of saturated, healthy operation. Default: 5% of initialRps, at least 1. */
  additiveIncrease?: number;
  /** Double the rate per second of saturated operation until the first congestion signal (TCP's slow start). Default true. */
  slowStart?: boolean;
  /** Factor applied on a 429. Default 0.5. */
  multiplicativeDecrease?: number;
  /** At most one decrease per this many ms: a burst of 429s from calls already in flight is one congestion signal. Default 1000. */
  decreaseCooldownMs?: number;
  /** Calls admitted at once after an idle period. Default: a tenth of a second's worth, at least 1. */
  burst?: number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface AimdRateLimiterState {
  rps: number;
  pausedUntilMs: number;
  decreases: number;
  increases: number;
}

export interface AimdRateLimiter {
  /** Waits for a slot for `cost` calls (a batch of n costs n). */
  acquire(cost?: number, signal?: AbortSignal): Promise<void>;
  /** A call succeeded: grow the rate if callers were waiting for slots (demand exceeds the rate). */
  onSuccess(): void;
  /**
   * A congestion signal (429, or a timeout): cut the rate, at most once per cooldown,
   * and pause admission for `pauseMs` (the 429's Retry-After).
   */
  onCongestion(pauseMs?: number): void;
  readonly state: AimdRateLimiterState;
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function createAimdRateLimiter(options: AimdRateLimiterOptions): AimdRateLimiter {
  const { minRps, maxRps } = options;
  if (!(minRps > 0 && minRps <= options.initialRps && options.initialRps <= maxRps)) {
    throw new RangeError(`expected 0 < minRps <= initialRps <= maxRps, got ${minRps}, ${options.initialRps}, ${maxRps}`);
  }
  const additive = options.additiveIncrease ?? Math.max(1, options.initialRps * 0.05);
  const factor = options.multiplicativeDecrease ?? 0.5;
  const cooldownMs = options.decreaseCooldownMs ?? 1000;
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? abortableSleep;

  let rps = options.initialRps;
  let tat = now(); // theoretical arrival time of the next call
  let pausedUntil = 0;
  let lastDecreaseAt = -Infinity;
  let slowStart = options.slowStart ?? true;
  let lastWaitAt = -Infinity; // demand exceeded the rate at this time
  const state: AimdRateLimiterState = { rps, pausedUntilMs: 0, decreases: 0, increases: 0 };

  const burstCalls = () => options.burst ?? Math.max(1, rps / 10);

  return {
    state,
    async acquire(cost = 1, signal) {
      const t = now();
      const interval = 1000 / rps;
      const earliest = Math.max(t, pausedUntil);
      tat = Math.max(tat, earliest);
      const startAt = Math.max(earliest, tat - (burstCalls() - 1) * interval);
      tat += cost * interval;
      if (startAt > t) {
        lastWaitAt = t;
        await sleep(startAt - t, signal);
      }
    },
    onSuccess() {
      // Grow only when demand exceeds the rate; an idle limiter's rate would otherwise creep to max unearned.
      if (now() - lastWaitAt > 1000 || rps >= maxRps) return;
      // Per call: +1 doubles the rate per second at full rate (slow start); +additive/rps adds `additive` per second.
      rps = Math.min(maxRps, rps + (slowStart ? 1 : additive / rps));
      state.rps = rps;
      state.increases += 1;
    },
    onCongestion(pauseMs) {
      const t = now();
      if (pauseMs !== undefined && pauseMs > 0) {
        pausedUntil = Math.max(pausedUntil, t + pauseMs);
        state.pausedUntilMs = pausedUntil;
      }
      slowStart = false;
      if (t - lastDecreaseAt < cooldownMs) return;
      lastDecreaseAt = t;
      rps = Math.max(minRps, rps * factor);
      state.rps = rps;
      state.decreases += 1;
    },
  };
}
