import { plainObject, plainToNumber, type StateCodec } from '../engine/state.ts';
import { closedBefore, type WindowingConfig } from './windowing.ts';

/** Event-time bookkeeping of one task (one input partition), kept in its `meta` store under {@link CLOCK_KEY}. */
export interface PartitionClock {
  /** Largest event time seen (or idle-advanced to); -1 before the first record. */
  readonly streamTimeMs: number;
  /** Windows starting before this are closed (finals emitted). */
  readonly closedBeforeMs: number;
  /** Windows starting before this have been range-deleted. */
  readonly purgedBeforeMs: number;
  /** Events routed to the late topic (never dropped), since the store was created. */
  readonly lateEvents: number;
  /** Retractions applied to windows that were already final (each re-emits a final). */
  readonly finalRetractions: number;
  /** Wall clock of the last punctuation that emitted updates, when `updateIntervalMs` > 0 (absent: none yet). */
  readonly updatesEmittedAtMs?: number;
  /**
   * The highest version this partition has emitted (ADR 0027): every emitted record takes the next one, so a key's
   * versions increase without its window being rewritten at each emission. Absent (a new partition, or one written
   * before ADR 0027): the count starts at the first call's wall clock in µs.
   */
  readonly lastVersion?: number;
  /**
   * `lastVersion` when updates of changed windows were last emitted: a window changed since (its entry's
   * `changedAt` ≥ this) has an update due. Absent: where the count starts (only ADR 0025's flag marks older entries).
   */
  readonly flushedAtVersion?: number;
}

export const CLOCK_KEY = 'clock';

export const INITIAL_CLOCK: PartitionClock = Object.freeze({
  streamTimeMs: -1,
  closedBeforeMs: 0,
  purgedBeforeMs: 0,
  lateEvents: 0,
  finalRetractions: 0,
});

export function watermarkOf(clock: PartitionClock, config: WindowingConfig): number {
  return clock.streamTimeMs - config.graceMs;
}

/** Where `closedBeforeMs` and `purgedBeforeMs` must be once stream time is `streamTimeMs` (never backwards). */
export function targetsAt(
  streamTimeMs: number,
  clock: PartitionClock,
  config: WindowingConfig,
): { closeBefore: number; purgeBefore: number } {
  const watermark = streamTimeMs - config.graceMs;
  return {
    closeBefore: Math.max(clock.closedBeforeMs, closedBefore(watermark)),
    purgeBefore: Math.max(clock.purgedBeforeMs, closedBefore(watermark - config.retentionMs)),
  };
}

/**
 * Idle-partition advance: the stream time a caught-up, idle task may assume, or undefined when it may not.
 * Never during a backfill (not caught up); `lastInputWallClockMs` null means no input since the task started.
 */
export function idleAdvanceTarget(
  config: WindowingConfig,
  ctx: { readonly wallClockMs: number; readonly lastInputWallClockMs: number | null; readonly caughtUp: boolean },
): number | undefined {
  if (!ctx.caughtUp) return undefined;
  if (ctx.lastInputWallClockMs !== null && ctx.wallClockMs - ctx.lastInputWallClockMs < config.idleTimeoutMs) return undefined;
  return ctx.wallClockMs - config.idleTimeoutMs;
}

export function partitionClockCodec(store: string): StateCodec<PartitionClock> {
  return {
    encode: (c) => ({ ...c }),
    decode: (plain, key) => {
      const o = plainObject(plain, store, key);
      return {
        streamTimeMs: plainToNumber(o.streamTimeMs, store, key),
        closedBeforeMs: plainToNumber(o.closedBeforeMs, store, key),
        purgedBeforeMs: plainToNumber(o.purgedBeforeMs, store, key),
        lateEvents: plainToNumber(o.lateEvents, store, key),
        finalRetractions: plainToNumber(o.finalRetractions, store, key),
        ...(o.updatesEmittedAtMs === undefined ? {} : { updatesEmittedAtMs: plainToNumber(o.updatesEmittedAtMs, store, key) }),
        ...(o.lastVersion === undefined ? {} : { lastVersion: plainToNumber(o.lastVersion, store, key) }),
        ...(o.flushedAtVersion === undefined ? {} : { flushedAtVersion: plainToNumber(o.flushedAtVersion, store, key) }),
      };
    },
  };
}
