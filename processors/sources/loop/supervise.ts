import { setTimeout as sleep } from 'node:timers/promises';
import type { Common } from '../../../core/common.ts';
import { errorCode } from '../../../core/errors.ts';
import { componentLogger } from '../../../core/logger.ts';
import { backoffDelayMs } from '../../../core/retry.ts';
import { runBlockSource, type BlockSourceOptions, type RunRange, type RunSummary } from './block-source.ts';

export interface SuperviseBlockSourceOptions {
  /** First restart delay before jitter (default 1 s); doubles per consecutive failure (core/retry.ts's rule). */
  readonly minDelayMs?: number;
  /** Longest restart delay (default 30 s). */
  readonly maxDelayMs?: number;
  /** A run that lasted this long counts as healthy: the next failure starts the backoff again (default 60 s). */
  readonly healthyAfterMs?: number;
  /** The loop to supervise (default runBlockSource); tests pass a scripted one. */
  readonly run?: (common: Common, options: BlockSourceOptions, range: RunRange) => Promise<RunSummary>;
}

export interface SupervisedSourceStats {
  /** Runs started (1 + restarts). */
  runs: number;
  failures: number;
}

/**
 * Live ingestion that outlives its dependencies' outages. `runBlockSource` gives up after its bounded retries
 * (the RPC client's ~30 s of backoff for a head poll, 8 attempts per batch fetch or publish): an RPC endpoint or a
 * Kafka broker down for a minute ends the loop. This runs it again, after a capped exponential backoff, until the
 * shutdown signal. A restart is the crash-restart path the source is built for: it resumes from its LMDB
 * checkpoint and adopts what Kafka committed after it (nothing published twice, nothing skipped).
 */
export async function superviseBlockSource(
  common: Common,
  options: BlockSourceOptions,
  /** Live mode only (no `to`); `from` applies when there is no checkpoint yet. */
  range: Omit<RunRange, 'to'> = {},
  supervise: SuperviseBlockSourceOptions = {},
  stats: SupervisedSourceStats = { runs: 0, failures: 0 },
): Promise<SupervisedSourceStats> {
  const signal = range.signal ?? common.shutdown.signal;
  const run = supervise.run ?? runBlockSource;
  const minDelayMs = supervise.minDelayMs ?? 1_000;
  const maxDelayMs = supervise.maxDelayMs ?? 30_000;
  const healthyAfterMs = supervise.healthyAfterMs ?? 60_000;
  const logger = componentLogger(common.logger, 'block-source-supervisor', { chain: options.chain ?? null });
  let consecutive = 0;
  while (!signal.aborted) {
    const startedAt = Date.now();
    stats.runs += 1;
    try {
      await run(common, options, { ...range, signal });
      return stats; // live mode returns only once stopped
    } catch (error) {
      if (signal.aborted) return stats;
      stats.failures += 1;
      consecutive = Date.now() - startedAt >= healthyAfterMs ? 1 : consecutive + 1;
      const delay = backoffDelayMs(consecutive, { initialDelayMs: minDelayMs, maxDelayMs });
      logger.error({
        msg: 'block source failed; restarting it',
        code: errorCode(error),
        consecutive_failures: consecutive,
        retry_in_ms: Math.round(delay),
        err: error,
      });
      try {
        await sleep(delay, undefined, { signal });
      } catch {
        return stats; // stopped while waiting
      }
    }
  }
  return stats;
}
