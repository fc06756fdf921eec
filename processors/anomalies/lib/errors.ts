/**
 * Errors of the detection library, on the core taxonomy: both are deterministic
 * (retrying the same computation cannot help), hence NonRetryableError.
 */
import { NonRetryableError } from '../../../core/errors.ts';

/** A statistic was asked of an empty sample (e.g. a baseline before any history). */
export class EmptySampleError extends NonRetryableError {
  override readonly name = 'EmptySampleError';
  constructor(statistic: string) {
    super('ORACUL_ANOMALY_EMPTY_SAMPLE', `${statistic} of an empty sample is undefined`, { details: { statistic } });
  }
}

/** A detector parameter is out of its domain (alpha outside (0, 1], unordered severity thresholds...). */
export class AnomalyParameterError extends NonRetryableError {
  override readonly name = 'AnomalyParameterError';
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('ORACUL_ANOMALY_PARAMETER_INVALID', message, { details });
  }
}
