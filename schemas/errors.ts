import { NonRetryableError, RetryableError, type OraculErrorOptions } from '../core/errors.ts';

/**
 * A value does not fit its schema (serialize), or the writer schema of a record
 * cannot be read with ours (deserialize). Deterministic: the record goes to the DLQ.
 */
export class SchemaMismatchError extends NonRetryableError {
  override readonly name = 'SchemaMismatchError';
  constructor(message: string, options?: OraculErrorOptions) {
    super('ORACUL_SCHEMA_MISMATCH', message, options);
  }
}

/** Bytes that are not a decodable Confluent-framed Avro record (bad magic byte, truncated, unknown schema id). */
export class DeserializeError extends NonRetryableError {
  override readonly name = 'DeserializeError';
  constructor(message: string, options?: OraculErrorOptions) {
    super('ORACUL_DESERIALIZE_FAILED', message, options);
  }
}

/** The registry refused to register a schema because it breaks the subject's compatibility rule. */
export class SchemaIncompatibleError extends NonRetryableError {
  override readonly name = 'SchemaIncompatibleError';
  constructor(message: string, options?: OraculErrorOptions) {
    super('ORACUL_SCHEMA_INCOMPATIBLE', message, options);
  }
}

/** The registry answered a request with a client error (auth, invalid schema, misconfigured compatibility). */
export class SchemaRegistryRejectedError extends NonRetryableError {
  override readonly name = 'SchemaRegistryRejectedError';
  constructor(message: string, options?: OraculErrorOptions) {
    super('ORACUL_SCHEMA_REGISTRY_REJECTED', message, options);
  }
}

/** The registry could not be reached or answered 5xx/408/429: the same call may succeed later. */
export class SchemaRegistryUnavailableError extends RetryableError {
  override readonly name = 'SchemaRegistryUnavailableError';
  constructor(message: string, options?: OraculErrorOptions) {
    super('ORACUL_SCHEMA_REGISTRY_UNAVAILABLE', message, options);
  }
}
