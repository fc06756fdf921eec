import { NonRetryableError, RetryableError, type OraculErrorOptions } from '../../core/errors.ts';

/** HTTP 429 from the price API (after the client's own backoff retries). */
export class PriceApiRateLimitedError extends RetryableError {
  override readonly name = 'PriceApiRateLimitedError';
  constructor(message: string, options?: OraculErrorOptions) {
    super('ORACUL_PRICE_API_RATE_LIMITED', message, options);
  }
}

/** Network failure, timeout or 5xx from the price API. */
export class PriceApiUnavailableError extends RetryableError {
  override readonly name = 'PriceApiUnavailableError';
  constructor(message: string, options?: OraculErrorOptions) {
    super('ORACUL_PRICE_API_UNAVAILABLE', message, options);
  }
}

/** A 4xx other than 429, or a body that is not the documented shape. */
export class PriceApiRequestFailedError extends NonRetryableError {
  override readonly name = 'PriceApiRequestFailedError';
  constructor(message: string, options?: OraculErrorOptions) {
    super('ORACUL_PRICE_API_REQUEST_FAILED', message, options);
  }
}
