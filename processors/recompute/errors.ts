import { NonRetryableError } from '../../core/errors.ts';

/** `--from-date` / `--to-date` malformed or reversed. */
export class RecomputeRangeError extends NonRetryableError {
  override readonly name = 'RecomputeRangeError';
  constructor(message: string, details: Record<string, unknown>) {
    super('ORACUL_RECOMPUTE_INVALID_RANGE', message, { details });
  }
}

/** A day of the range has not closed yet (its end + grace is in the future): the stream still owns it. */
export class RecomputeDayOpenError extends NonRetryableError {
  override readonly name = 'RecomputeDayOpenError';
  constructor(day: string, closesAtMs: number) {
    super(
      'ORACUL_RECOMPUTE_DAY_OPEN',
      `day ${day} is still open (it closes at ${new Date(closesAtMs).toISOString()}); recompute only closed days`,
      { details: { day, closes_at: new Date(closesAtMs).toISOString() } },
    );
  }
}
