/**
 * Typed error taxonomy. Every error that crosses a module boundary is an
 * OraculError with a stable `code` (documented in docs/errors.md) and a retry
 * verdict decided by its class, never by string matching at the call site.
 */
export type ErrorCode = `ORACUL_${string}`;

export interface OraculErrorOptions {
  cause?: unknown;
  /** Structured context an operator needs (topic, partition, block, url without credentials...). */
  details?: Record<string, unknown>;
}

export abstract class OraculError extends Error {
  abstract readonly code: ErrorCode;
  abstract readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(message: string, options: OraculErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.details = options.details ?? {};
  }

  /** A JSON-safe view for logs and dead-letter headers. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, details: this.details };
  }
}

/** Transient failure: the same call may succeed later (timeouts, 5xx, 429, broker unavailable). */
export class RetryableError extends OraculError {
  override readonly name: string = 'RetryableError';
  readonly retryable = true;
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: OraculErrorOptions,
  ) {
    super(message, options);
  }
}

/** Deterministic failure: retrying cannot help (bad config, malformed data, schema mismatch). */
export class NonRetryableError extends OraculError {
  override readonly name: string = 'NonRetryableError';
  readonly retryable = false;
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: OraculErrorOptions,
  ) {
    super(message, options);
  }
}

export class ConfigError extends NonRetryableError {
  override readonly name = 'ConfigError';
  constructor(message: string, options?: OraculErrorOptions) {
    super('ORACUL_CONFIG_INVALID', message, options);
  }
}

export class PortInUseError extends NonRetryableError {
  override readonly name = 'PortInUseError';
  constructor(
    readonly port: number,
    readonly host: string,
    component: string,
  ) {
    super('ORACUL_PORT_IN_USE', `port ${host}:${port} needed by ${component} is already in use`, {
      details: { port, host, component },
    });
  }
}

export class ServiceUnhealthyError extends RetryableError {
  override readonly name = 'ServiceUnhealthyError';
  constructor(component: string, message: string, options?: OraculErrorOptions) {
    super('ORACUL_SERVICE_UNHEALTHY', `${component}: ${message}`, options);
  }
}

/** Bugs (TypeError, RangeError...) are never retried; only errors that say so are. */
export function isRetryable(error: unknown): boolean {
  return error instanceof OraculError && error.retryable;
}

export function errorCode(error: unknown): ErrorCode | 'ORACUL_UNKNOWN' {
  return error instanceof OraculError ? error.code : 'ORACUL_UNKNOWN';
}
