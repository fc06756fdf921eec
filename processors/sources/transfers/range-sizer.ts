/**
 * Adaptive eth_getLogs block ranges for the transfers-only backfill (pure, no I/O).
 *
 * Providers cap eth_getLogs by result count ("more than 10000 results"), block span or body size, and a
 * Transfer-only filter returns anywhere from 0 to thousands of logs per block. So the range is steered by the
 * answers, as fast log indexers do:
 * - a limit error halves the range that failed (the caller splits and retries both halves) and the size;
 * - an answer well below the target log count doubles the size (sparse ranges, early chain history);
 * - an answer above the target shrinks the size proportionally (dense ranges), before the provider refuses.
 */

export interface RangeSizerOptions {
  /** First range size in blocks. Default 100. */
  initial?: number;
  /** Never more blocks per call. Default 2 000. */
  max?: number;
  /** Logs per answer to aim for: under the common 10 000-result caps with room to spare. Default 5 000. */
  targetLogs?: number;
}

export interface RangeSizer {
  /** Blocks per eth_getLogs call for the next range. */
  readonly size: number;
  readonly max: number;
  readonly targetLogs: number;
  /** Times a range was split after a limit error. */
  readonly splits: number;
  readonly grows: number;
  /** An answer of `logs` logs for a range of `blocks` blocks. */
  observe(blocks: number, logs: number): void;
  /** The provider refused a range of `blocks` blocks as too large: the next ranges are at most half of it. */
  limited(blocks: number): void;
}

export function createRangeSizer(options: RangeSizerOptions = {}): RangeSizer {
  const max = Math.max(1, Math.floor(options.max ?? 2_000));
  const targetLogs = Math.max(1, Math.floor(options.targetLogs ?? 5_000));
  let size = Math.min(max, Math.max(1, Math.floor(options.initial ?? 100)));
  let splits = 0;
  let grows = 0;
  return {
    get size() {
      return size;
    },
    max,
    targetLogs,
    get splits() {
      return splits;
    },
    get grows() {
      return grows;
    },
    observe(blocks, logs) {
      if (blocks <= 0) return;
      if (logs > targetLogs) {
        // Proportional: a range of `blocks` gave `logs`; aim for targetLogs next time.
        size = Math.max(1, Math.min(size, Math.floor((blocks * targetLogs) / logs)));
      } else if (logs * 2 <= targetLogs && blocks >= size && size < max) {
        // Only a full-size answer says the size is too small (a range's short tail says nothing).
        size = Math.min(max, size * 2);
        grows += 1;
      }
    },
    limited(blocks) {
      splits += 1;
      size = Math.max(1, Math.min(size, Math.floor(blocks / 2)));
    },
  };
}
