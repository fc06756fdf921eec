import { NonRetryableError } from '../../core/errors.ts';

/** A price that is not a finite non-negative decimal: the record goes to the dead-letter topic. */
export class InvalidPriceError extends NonRetryableError {
  override readonly name = 'InvalidPriceError';
  constructor(value: string, reason: string) {
    super('ORACUL_INVALID_PRICE', `invalid price ${JSON.stringify(value.slice(0, 60))}: ${reason}`, { details: { value } });
  }
}

/**
 * A retraction that undoes something never added (or adds it twice): a duplicate or foreign retraction. State is
 * left untouched; the runtime's processing-error policy decides (dead-letter and continue, or fail).
 */
export class RetractionMismatchError extends NonRetryableError {
  override readonly name = 'RetractionMismatchError';
  constructor(processor: string, key: string, what: string) {
    super('ORACUL_RETRACTION_MISMATCH', `${processor}: retraction of ${what} in ${key}, which holds no such contribution`, {
      details: { processor, key, what },
    });
  }
}

/** A windowing setting the aggregates cannot run with (checked when the processor is built). */
export class WindowingConfigError extends NonRetryableError {
  override readonly name = 'WindowingConfigError';
  constructor(message: string, details: Record<string, unknown>) {
    super('ORACUL_WINDOWING_CONFIG', `invalid windowing: ${message}`, { details });
  }
}
