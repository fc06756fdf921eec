import { setTimeout as sleep } from 'node:timers/promises';
import { OraculError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { backoffDelayMs, type BackoffPolicy } from '../../core/retry.ts';

/** Runs `fn` until it succeeds or fails with an error `isTransient` refuses; `what` names it in logs. */
export type SinkRetry = <T>(what: string, fn: () => Promise<T>, isTransient: (error: unknown) => boolean) => Promise<T>;

export interface SinkRetryParameters {
  readonly logger: Logger;
  readonly policy: BackoffPolicy;
  /** Aborted by stop(): the wait ends and the last error is thrown. */
  readonly signal: AbortSignal;
  /** For the log line: how much is waiting behind the failing step. */
  readonly bufferedRows: () => number;
  /** Called once per failed attempt that will be retried. */
  readonly onRetry: (what: string) => void;
  /** The consumer's heartbeat, sent after each wait so the group keeps the member while consumption is paused. */
  readonly heartbeat: () => (() => Promise<void>) | undefined;
}

/**
 * The sink's retry: there is no attempt limit (consumption waits while ClickHouse or the DLQ is unavailable: nothing
 * is skipped), delays follow core/retry.ts's rule, and stop() ends the wait.
 */
export function createSinkRetry(parameters: SinkRetryParameters): SinkRetry {
  const { logger, policy, signal } = parameters;
  return async function retry<T>(what: string, fn: () => Promise<T>, isTransient: (error: unknown) => boolean): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await fn();
      } catch (error) {
        if (!isTransient(error) || signal.aborted) throw error;
        const delay = backoffDelayMs(attempt, policy);
        logger.warn({
          msg: `${what} failed, consumption paused; retrying`,
          attempt,
          retry_in_ms: Math.round(delay),
          buffered_rows: parameters.bufferedRows(),
          err: error instanceof OraculError ? error.toJSON() : error,
        });
        parameters.onRetry(what);
        await sleep(delay, undefined, { signal });
        await parameters
          .heartbeat()?.()
          .catch(() => undefined);
      }
    }
  };
}
