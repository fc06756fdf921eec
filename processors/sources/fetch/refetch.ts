/**
 * Fetching again when the separately fetched parts of a range disagree (a reorg between the calls, a lagging node
 * behind a load balancer): the block fetcher and the transfers fetcher share this rule. RPC errors are not retried
 * here: the RPC client already did.
 */
import type { Logger } from '../../../core/logger.ts';
import { withRetry } from '../../../core/retry.ts';
import { ChainDataMismatchError } from '../normalize/mismatch-error.ts';
import { BlockNotFoundError } from './errors.ts';

/** Only block-level inconsistencies are worth fetching again. */
export function isRefetchable(error: unknown): boolean {
  return error instanceof ChainDataMismatchError || error instanceof BlockNotFoundError;
}

/** Runs `fetchOnce` until its parts agree: up to `retries` more times (default 5), after a backoff from 100 ms to 5 s. */
export function refetching<T>(
  fetchOnce: () => Promise<T>,
  p: {
    retries: number | undefined;
    signal: AbortSignal | undefined;
    logger: Logger | undefined;
    /** The warning's message and fields (chain, range). */
    msg: string;
    fields: Record<string, unknown>;
  },
): Promise<T> {
  return withRetry(fetchOnce, {
    retries: p.retries ?? 5,
    initialDelayMs: 100,
    maxDelayMs: 5_000,
    signal: p.signal,
    shouldRetry: (error) => isRefetchable(error),
    onFailedAttempt: (error) => {
      if (!isRefetchable(error)) return; // p-retry calls this for the final, non-retried error too
      p.logger?.warn({
        msg: p.msg,
        ...p.fields,
        code: (error as { code?: string }).code,
        err_message: error.message,
        attempt: error.attemptNumber,
      });
    },
  });
}
