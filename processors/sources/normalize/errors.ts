import { NonRetryableError } from '../../../core/errors.ts';

/**
 * An endpoint's JSON does not have the shape of the answer (missing field, bad hex,
 * block number above 2^53). Deterministic for that answer: ingesting it would
 * publish garbage, so the source stops loudly instead.
 */
export class InvalidRpcDataError extends NonRetryableError {
  override readonly name = 'InvalidRpcDataError';
  constructor(what: string, field: string, value: unknown) {
    super('ORACUL_RPC_INVALID_DATA', `${what}: invalid ${field}: ${preview(value)}`, {
      details: { what, field, value: preview(value) },
    });
  }
}

function preview(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
