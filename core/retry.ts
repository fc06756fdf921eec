/**
 * One backoff rule for every retry in Oracul, the one p-retry uses: the n-th retry waits
 * `initialDelayMs × factor^(n-1)`, multiplied by a uniform random factor in [1, 2) when `randomize` is on (so
 * clients that failed together do not retry together), and capped at `maxDelayMs`.
 *
 * Call retries go through {@link withRetry} (p-retry itself); loops that schedule their own next attempt
 * (restarts, cool-downs, queued deliveries) ask {@link backoffDelayMs} for the delay.
 */
import pRetry, { type FailedAttemptError } from 'p-retry';

export interface BackoffPolicy {
  /** Delay before the first retry, before jitter. */
  readonly initialDelayMs: number;
  /** Upper bound of any delay, after jitter. */
  readonly maxDelayMs: number;
  /** Growth per retry. Default 2. */
  readonly factor?: number;
  /** Multiply each delay by a uniform factor in [1, 2). Default true. */
  readonly randomize?: boolean;
}

/** Delay before retry number `retry` (1 for the first retry). */
export function backoffDelayMs(retry: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const { initialDelayMs, maxDelayMs, factor = 2, randomize = true } = policy;
  const exponent = Math.max(0, retry - 1);
  const base = initialDelayMs * factor ** Math.min(exponent, 52);
  return Math.min(maxDelayMs, randomize ? base * (1 + random()) : base);
}

export interface RetryOptions extends BackoffPolicy {
  /** Retries after the first attempt. */
  readonly retries: number;
  readonly signal?: AbortSignal;
  /** Whether this error is worth another attempt; a `false` rethrows it at once. */
  readonly shouldRetry?: (error: Error) => boolean | Promise<boolean>;
  /** Called after each failed attempt that will be retried or not (for logs and metrics). */
  readonly onFailedAttempt?: (error: FailedAttemptError) => void | Promise<void>;
}

/** Runs `fn` until it succeeds, an error is not retryable, the retries run out or `signal` aborts. */
export function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  return pRetry(fn, {
    retries: options.retries,
    factor: options.factor ?? 2,
    minTimeout: options.initialDelayMs,
    maxTimeout: options.maxDelayMs,
    randomize: options.randomize ?? true,
    signal: options.signal,
    shouldRetry: options.shouldRetry,
    onFailedAttempt: options.onFailedAttempt,
  });
}
