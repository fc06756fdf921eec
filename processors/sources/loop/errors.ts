import { RetryableError } from '../../../core/errors.ts';

/** The source was asked to stop (shutdown signal); what was committed stays committed. */
export class SourceStoppedError extends RetryableError {
  override readonly name = 'SourceStoppedError';
  constructor(chain: string) {
    super('ORACUL_SOURCE_STOPPED', `block source of ${chain} stopped`, { details: { chain } });
  }
}
