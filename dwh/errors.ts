import { NonRetryableError, type OraculErrorOptions } from '../core/errors.ts';

/** An applied migration's file changed since it was applied: the database no longer matches the repo's history. */
export class MigrationChecksumMismatchError extends NonRetryableError {
  override readonly name = 'MigrationChecksumMismatchError';
  constructor(message: string, options?: OraculErrorOptions) {
    super('ORACUL_MIGRATION_CHECKSUM_MISMATCH', message, options);
  }
}

/** A migration file, seed file or database name is malformed (bad name, duplicate version, bad CSV row). */
export class MigrationInvalidError extends NonRetryableError {
  override readonly name = 'MigrationInvalidError';
  constructor(message: string, options?: OraculErrorOptions) {
    super('ORACUL_MIGRATION_INVALID', message, options);
  }
}

/**
 * A migration statement failed on the server. Statements are idempotent, so the
 * fix is to correct the cause and run `oracul migrate` again.
 */
export class MigrationFailedError extends NonRetryableError {
  override readonly name = 'MigrationFailedError';
  constructor(message: string, options?: OraculErrorOptions) {
    super('ORACUL_MIGRATION_FAILED', message, options);
  }
}
