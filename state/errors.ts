import { NonRetryableError, RetryableError, type OraculErrorOptions } from '../core/errors.ts';

/** The LMDB environment of a task cannot be opened or used (disk full, permissions, corrupt file). */
export class StateStoreError extends NonRetryableError {
  override readonly name = 'StateStoreError';
  constructor(message: string, details: Record<string, unknown>, options: Omit<OraculErrorOptions, 'details'> = {}) {
    super('ORACUL_STATE_STORE', message, { ...options, details });
  }
}

/** Restoring a store from its changelog topic failed (broker unavailable, timeout); the task retries. */
export class StateRestoreError extends RetryableError {
  override readonly name = 'StateRestoreError';
  constructor(message: string, details: Record<string, unknown>, options: Omit<OraculErrorOptions, 'details'> = {}) {
    super('ORACUL_STATE_RESTORE_FAILED', message, { ...options, details });
  }
}
