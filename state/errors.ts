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

/** A changelog record this version cannot read (unknown format, truncated value, foreign key): the restore stops. */
export class StateCheckpointFormatError extends NonRetryableError {
  override readonly name = 'StateCheckpointFormatError';
  constructor(message: string, details: Record<string, unknown>, options: Omit<OraculErrorOptions, 'details'> = {}) {
    super('ORACUL_STATE_CHECKPOINT_FORMAT', message, { ...options, details });
  }
}

/**
 * A task's changelog records did not land where its recorded position said (another writer, or a position lost):
 * the transaction aborts and the task reopens, restoring its position from the changelog.
 */
export class ChangelogPositionError extends RetryableError {
  override readonly name = 'ChangelogPositionError';
  constructor(message: string, details: Record<string, unknown>, options: Omit<OraculErrorOptions, 'details'> = {}) {
    super('ORACUL_STATE_CHANGELOG_POSITION', message, { ...options, details });
  }
}
