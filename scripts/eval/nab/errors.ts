/** Errors of the NAB evaluation: malformed corpus, labels or result files. */
import { NonRetryableError } from '../../../core/errors.ts';

export class NabDataError extends NonRetryableError {
  override readonly name = 'NabDataError';
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('ORACUL_EVAL_NAB_DATA_INVALID', message, { details });
  }
}
